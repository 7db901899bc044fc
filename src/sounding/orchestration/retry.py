"""Which failures are retried, and how long to wait before the next attempt."""

from __future__ import annotations

import logging
import random

from sounding.orchestration.spec import RetryPolicy

logger = logging.getLogger(__name__)

NEVER_RETRIED = (
    "InvalidInputError",
    "NotFoundError",
    "PermissionDeniedError",
    "AuthenticationError",
    "ParseError",
    "UnsupportedSourceError",
)
"""The caller's input is wrong: another attempt would fail the same way."""


def error_names(exc: BaseException) -> set[str]:
    """Class names along the exception's MRO, so ``SourceError`` matches its subclasses."""
    return {cls.__name__ for cls in type(exc).__mro__}


def is_retryable(policy: RetryPolicy, exc: BaseException) -> bool:
    if getattr(exc, "retryable", True) is False:
        return False
    names = error_names(exc)
    if names & set(policy.no_retry_on):
        return False
    if policy.retry_on:
        return bool(names & set(policy.retry_on))
    return not names & set(NEVER_RETRIED)


def should_retry(policy: RetryPolicy, exc: BaseException, failures: int) -> bool:
    """True if, after ``failures`` failed attempts ending with ``exc``, another is due."""
    return failures < policy.attempts and is_retryable(policy, exc)


def backoff_delay(policy: RetryPolicy, failures: int, rng: random.Random | None = None) -> float:
    """Seconds before the attempt that follows failure number ``failures`` (1-based).

    Exponential (``initial * factor**(failures-1)``, capped at ``max``) with proportional
    jitter: the delay is multiplied by a uniform factor in ``[1 - jitter, 1 + jitter]`` so
    tasks failing together (one source going down) do not retry in lock-step.
    """
    b = policy.backoff
    base = min(b.max, b.initial * b.factor ** max(0, failures - 1))
    spread = (rng or random).uniform(-b.jitter, b.jitter) if b.jitter else 0.0
    return max(0.0, base * (1.0 + spread))
