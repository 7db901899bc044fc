"""Executors run task functions; the engine decides when. See ``base.Executor``."""

from __future__ import annotations

from sounding.orchestration.executors.base import Executor, ServerTask, TaskCall
from sounding.orchestration.executors.local import LocalExecutor

__all__ = ["Executor", "LocalExecutor", "ServerTask", "TaskCall"]
