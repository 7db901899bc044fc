"""How big the demo is and how many defects it plants, derived from ``seed`` and ``scale``.

Everything that depends on ``scale`` is computed here once, so the generators and the tests agree
on exact counts. All dates are fixed: the demo never reads the clock.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, datetime

from sounding.errors import InvalidInputError

REFERENCE_DATE = date(2026, 1, 1)
"""The demo's "today": the newest fact is from the day before."""
REFERENCE_TIME = datetime(2026, 1, 1)
HISTORY_START = date(2024, 1, 1)
"""First order day; customers sign up from :data:`SIGNUP_START`."""
SIGNUP_START = date(2023, 1, 1)
STALE_AFTER = date(2025, 6, 30)
"""Last day ``raw_exchange_rates`` was loaded: the planted stale table."""

MAX_SCALE = 50.0


@dataclass(frozen=True)
class DemoPlan:
    """Row counts and planted-defect counts for one build."""

    seed: int
    scale: float
    customers: int
    suppliers: int
    products: int
    orders: int
    campaigns: int
    web_sessions: int
    leads: int
    support_tickets: int
    app_events_per_day: int
    duplicate_emails: int
    """Customers whose email repeats another customer's (one extra row per pair)."""
    orphan_orders: int
    """Orders whose ``customer_id`` is not in ``raw_customers``."""
    negative_quantities: int
    """Order items with ``quantity < 0``."""
    null_phone_numbers: int
    """Customers with ``phone_number IS NULL`` (30 %)."""

    def rng(self, section: str) -> random.Random:
        """An independent, reproducible random stream per generator section."""
        return random.Random(f"sounding-demo:{self.seed}:{section}")

    def faker_seed(self, section: str) -> int:
        """A reproducible integer seed for a Faker instance of one section."""
        return self.rng(f"faker:{section}").getrandbits(32)


def _scaled(base: int, scale: float, minimum: int) -> int:
    return max(minimum, round(base * scale))


def plan_demo(seed: int = 7, scale: float = 1.0) -> DemoPlan:
    """Return the plan for ``seed`` and ``scale`` (1.0 = 2,000 customers, 20,000 orders)."""
    if not math.isfinite(scale) or scale <= 0 or scale > MAX_SCALE:
        raise InvalidInputError(
            f"Demo scale must be greater than 0 and at most {MAX_SCALE:g}, got {scale!r}",
            scale=scale,
        )
    customers = _scaled(2000, scale, 60)
    return DemoPlan(
        seed=seed,
        scale=scale,
        customers=customers,
        suppliers=_scaled(40, scale, 6),
        products=_scaled(300, scale, 40),
        orders=_scaled(20000, scale, 300),
        campaigns=_scaled(24, scale, 6),
        web_sessions=_scaled(8000, scale, 150),
        leads=_scaled(1500, scale, 50),
        support_tickets=_scaled(600, scale, 30),
        app_events_per_day=_scaled(700, scale, 20),
        duplicate_emails=_scaled(20, scale, 2),
        orphan_orders=_scaled(12, scale, 2),
        negative_quantities=_scaled(25, scale, 2),
        null_phone_numbers=round(customers * 0.3),
    )
