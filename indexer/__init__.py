"""Indexing: the record store, ingest pipeline and search backends."""
