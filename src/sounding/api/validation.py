"""What every request body may hold, checked once for all of them.

JSON can carry values no store, driver or encoder downstream accepts: a lone UTF-16 surrogate
(``"\\ud800"``), a NUL character, an integer beyond 64 bits, or ``NaN``/``Infinity`` (Python's
JSON parser reads them). Each would fail deep inside a driver as an internal error; here they
are refused up front with the JSON path of the bad value. ``RequestModel`` is the base of every
request schema; ``JsonObject`` is the type of free-form objects (options, params, workflow specs).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator, model_validator

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_JSON_DEPTH = 64  # beyond this a value is refused rather than walked


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None when it can."""
    if "\x00" in value:
        return "contains a NUL character (\\u0000); remove it"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (
            f"contains a lone UTF-16 surrogate ({value[exc.start]!a}) at position {exc.start}; "
            "send valid Unicode text"
        )
    return None


def value_problems(value: Any, loc: str = "", depth: int = 0) -> list[str]:
    """Problems (``"loc: what"``, or just what for the value itself) of every string, number
    and key in a JSON value."""
    where = f"{loc}: " if loc else ""
    if depth > MAX_JSON_DEPTH:
        return [f"{loc[:40]}...: nested deeper than {MAX_JSON_DEPTH} levels; flatten it"]
    if isinstance(value, str):
        problem = text_problem(value)
        return [f"{where}{problem}"] if problem else []
    if isinstance(value, bool):
        return []
    if isinstance(value, int):
        if INT64_MIN <= value <= INT64_MAX:
            return []
        return [f"{where}integer out of range; use a value between -2^63 and 2^63-1"]
    if isinstance(value, float):
        return [] if math.isfinite(value) else [f"{where}NaN and Infinity are not numbers"]
    if isinstance(value, dict):
        out: list[str] = []
        for key, item in value.items():
            path = f"{loc}.{key}" if loc else str(key)
            if isinstance(key, str) and (problem := text_problem(key)):
                path = f"{loc}.{key!a}" if loc else ascii(key)
                out.append(f"{path}: the key {problem}")
            out.extend(value_problems(item, path, depth + 1))
        return out
    if isinstance(value, list | tuple):
        return [p for i, v in enumerate(value) for p in value_problems(v, f"{loc}[{i}]", depth + 1)]
    if isinstance(value, BaseModel):
        return value_problems(dict(value), loc, depth + 1)
    return []


def _check(value: Any) -> Any:
    problems = value_problems(value)
    if problems:
        raise ValueError("; ".join(problems[:5]))
    return value


JsonObject = Annotated[dict[str, Any], AfterValidator(_check)]
"""A free-form JSON object whose every string, number and key can be stored."""


class RequestModel(BaseModel):
    """Base of every request body: unknown fields are refused, and every string, number and
    key in it (nested objects included) must be storable (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _storable_field(cls, value: Any) -> Any:
        return _check(value)

    @model_validator(mode="after")
    def _storable_extra(self) -> RequestModel:
        _check(self.__pydantic_extra__ or {})  # fields a model allows beyond its own
        return self
