"""Orchestration insights: analytics over executions, forecasts and ETAs, anomalies, and
recommendations (with the record of those applied).

``service`` (the use cases), ``stats`` and ``advice`` (pure statistics over execution
records), ``repo`` and ``tables`` with ``migrations/``.
"""

from __future__ import annotations

from sounding.services.features import Feature

FEATURE = Feature("insights")
