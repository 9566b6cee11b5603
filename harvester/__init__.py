"""Harvesting: one module per source kind, pure format mappers, run bookkeeping."""
