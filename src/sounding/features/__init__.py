"""The governance features, one package each (see docs/architecture.md)."""
