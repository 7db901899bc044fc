"""Sounding: self-hosted data governance (scan, catalog, classify, lineage, orchestrate)."""

__version__ = "0.1.0"
