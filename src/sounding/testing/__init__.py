"""Helpers for tests and benchmarks of Sounding and of plugins (nothing here runs in prod)."""
