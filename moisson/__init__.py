"""Moisson's small shared core: config, the Record model, errors and the CLI."""

__version__ = "0.1.0"
