"""Engine-wide settings, shared by the engine, its driver and the load snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Engine-wide limits. ``pools`` and ``resources`` are capacities steps draw from;
    ``source_limits`` cap concurrent tasks per source across all executions."""

    max_concurrency: int | None = 64
    pools: Mapping[str, int] = field(default_factory=dict)
    resources: Mapping[str, float] = field(default_factory=dict)
    source_limits: Mapping[str, int] = field(default_factory=dict)
    default_source_limit: int | None = None
    cancel_grace: float = 10.0  # seconds running tasks get to stop before being cancelled
    max_crashes: int = 3  # interrupted attempts (the process died) before a task is quarantined
    progress_interval: float = 0.2  # minimum seconds between progress events of one step
    # several servers on one store (orchestration.leases): a lease not renewed for
    # lease_seconds lets another server take the execution over; renewed every heartbeat
    lease_seconds: float = 5.0
    heartbeat_seconds: float = 1.5
