"""Values as a profile keeps them: JSON-safe, and short."""

from __future__ import annotations

import base64
import datetime as dt
import math
import uuid
from decimal import Decimal
from typing import Any

MAX_TEXT_CHARS = 500
"""Text values kept in a profile (min, max, top values) are cut to this many characters."""


def json_safe(value: Any) -> Any:
    """A value as JSON can hold it: numbers stay numbers (Decimal -> int or float), dates and
    times become ISO text, bytes become text (UTF-8) or ``base64:...``; long text is cut."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT_CHARS else value[:MAX_TEXT_CHARS] + "…"
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            return json_safe(raw.decode("utf-8"))
        except UnicodeDecodeError:
            return "base64:" + base64.b64encode(raw[:MAX_TEXT_CHARS]).decode("ascii")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    return json_safe(str(value))
