"""Connectors read data sources and yield domain objects; they never touch the store."""
