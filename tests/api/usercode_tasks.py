"""Task functions a workflow names in the user-code tests; the test server allows this module
through ``SOUNDING_ALLOWED_CALLABLE_MODULES``."""

from __future__ import annotations

import os
import sys
import time
from typing import Any


def echo(ctx: Any) -> str:
    return f"done {ctx.task_key}"


def leave(ctx: Any) -> None:
    """What ``sys:exit`` did to the engine: raise SystemExit inside the task."""
    sys.exit(3)


def interrupt(ctx: Any) -> None:
    raise KeyboardInterrupt


def kill_process(ctx: Any) -> None:
    """Kill the whole process running the task, as a segfaulting driver would."""
    os._exit(17)


def block(ctx: Any) -> None:
    """Block in foreign code, never looking at ctx.cancelled."""
    time.sleep(600)
