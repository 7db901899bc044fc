"""Execution leases: which server runs each execution when several share one store.

The records the engine's :class:`~sounding.orchestration.leases.LeaseStore` protocol hands
in and out (the store implements it without importing the engine).
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime

CONTROL_ACTIONS = ("pause", "resume", "cancel")  # what a non-owner may ask the owner to do


@dataclass(frozen=True, slots=True)
class ServerIdentity:
    """One engine process: a generated id (new at every start), its host and pid."""

    id: str
    host: str
    pid: int

    @classmethod
    def here(cls) -> ServerIdentity:
        return cls(uuid.uuid4().hex, socket.gethostname()[:255], os.getpid())


@dataclass(frozen=True, slots=True)
class Claimable:
    """An unfinished execution whose lease expired (or that has none: ``epoch`` None)."""

    execution_id: str
    epoch: int | None
    owner_id: str | None


@dataclass(slots=True)
class Beat:
    """What one heartbeat found: the executions this server owns now (with the control
    request waiting on each, or None) and, when asked, the ones it may claim."""

    owned: dict[str, str | None] = field(default_factory=dict)
    claimable: list[Claimable] = field(default_factory=list)
    at: datetime | None = None
