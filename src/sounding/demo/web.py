"""Marketing campaigns and web analytics: campaigns, sessions and their events."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sounding.demo.catalog import Catalog
from sounding.demo.common import Row, Rows, ShopCalendar, fmt_date, fmt_ts, random_time_of_day
from sounding.demo.people import Customer
from sounding.demo.plan import DemoPlan

# channel -> (utm_source, utm_medium)
_CHANNELS = {
    "email": ("newsletter", "email"),
    "paid_search": ("google", "cpc"),
    "social": ("instagram", "paid_social"),
    "display": ("criteo", "display"),
    "affiliate": ("awin", "affiliate"),
}
_THEMES = (
    "New Year Reset",
    "Spring Refresh",
    "Summer Sale",
    "Back to School",
    "Autumn Edit",
    "Black Friday",
    "Holiday Gifts",
    "Loyalty Rewards",
    "Outdoor Week",
    "Home Makeover",
)
_SEGMENTS = ("all", "new_customers", "lapsed_customers", "high_value", "loyalty_members")
_BROWSERS = {
    "desktop": (("Chrome", 62), ("Safari", 14), ("Edge", 13), ("Firefox", 11)),
    "mobile": (("Chrome Mobile", 48), ("Mobile Safari", 47), ("Samsung Internet", 5)),
    "tablet": (("Mobile Safari", 70), ("Chrome Mobile", 30)),
}
_PUBLIC_FIRST_OCTETS = (23, 31, 45, 62, 77, 81, 84, 86, 91, 93, 98, 104, 142, 151, 176, 185, 212)


@dataclass(frozen=True)
class Campaign:
    campaign_id: int
    channel: str
    start: date
    end: date


@dataclass
class Campaigns:
    campaigns: list[Campaign]
    rows: list[Row]

    def active_on(self, day: date) -> list[Campaign]:
        return [c for c in self.campaigns if c.start <= day <= c.end]


def generate_campaigns(plan: DemoPlan) -> Campaigns:
    rng = plan.rng("campaigns")
    campaigns: list[Campaign] = []
    rows: list[Row] = []
    for campaign_id in range(1, plan.campaigns + 1):
        channel = rng.choice(sorted(_CHANNELS))
        start = date(2024, 1, 1) + timedelta(days=rng.randrange(700))
        end = min(start + timedelta(days=rng.randrange(10, 60)), date(2025, 12, 31))
        theme = rng.choice(_THEMES)
        name = f"{theme} {start.year} - {channel.replace('_', ' ').title()}"
        utm = f"{theme.lower().replace(' ', '_')}_{start:%Y%m}_{campaign_id}"
        segment = rng.choice(_SEGMENTS)
        budget = round(rng.uniform(2_000, 60_000), -2)
        campaigns.append(Campaign(campaign_id, channel, start, end))
        rows.append(
            (campaign_id, name, channel, utm, segment, fmt_date(start), fmt_date(end), budget)
        )
    return Campaigns(campaigns, rows)


def generate_web(
    plan: DemoPlan,
    customers: list[Customer],
    catalog: Catalog,
    campaigns: Campaigns,
    calendar: ShopCalendar,
) -> Rows:
    rng = plan.rng("web")
    activity = list(itertools.accumulate(customer.activity for customer in customers))
    popularity = catalog.popularity_cumulative
    sessions: list[Row] = []
    events: list[Row] = []
    starts: list[tuple[datetime, Customer | None]] = []
    for _ in range(plan.web_sessions):
        known = rng.random() < 0.6
        visitor = rng.choices(customers, cum_weights=activity)[0] if known else None
        day = calendar.pick_day(rng, visitor.signup_at.date() if visitor else None)
        starts.append((random_time_of_day(rng, day), visitor))
    starts.sort(key=lambda item: item[0])
    for started, visitor in starts:
        session_id = "%032x" % rng.getrandbits(128)  # noqa: UP031 - fixed-width hex id
        device = rng.choices(("desktop", "mobile", "tablet"), weights=(45, 45, 10))[0]
        browsers = _BROWSERS[device]
        browser = rng.choices([b[0] for b in browsers], weights=[b[1] for b in browsers])[0]
        campaign_id, source, medium = _traffic(rng, campaigns, started.date())
        products = rng.choices(catalog.products, cum_weights=popularity, k=4)
        landing = rng.choice(("/", "/sale", f"/category/{products[0].slug}"))
        at = started
        for index, (event_type, product) in enumerate(_journey(rng, visitor is not None)):
            at += timedelta(seconds=rng.randrange(4, 180))
            item = products[product] if product is not None else None
            url = landing if index == 0 else _url(event_type, item.sku if item else "")
            product_id = item.product_id if item else None
            events.append((len(events) + 1, session_id, event_type, url, product_id, fmt_ts(at)))
        ended = at + timedelta(seconds=rng.randrange(5, 120))
        sessions.append(
            (
                session_id,
                visitor.customer_id if visitor else None,
                campaign_id,
                device,
                browser,
                _ip_address(rng),
                source,
                medium,
                landing,
                fmt_ts(started),
                fmt_ts(ended),
            )
        )
    return {"raw_web_sessions": sessions, "raw_web_events": events}


def _traffic(
    rng: random.Random, campaigns: Campaigns, day: date
) -> tuple[int | None, str | None, str | None]:
    active = campaigns.active_on(day)
    if active and rng.random() < 0.35:
        campaign = rng.choice(active)
        source, medium = _CHANNELS[campaign.channel]
        return campaign.campaign_id, source, medium
    draw = rng.random()
    if draw < 0.35:
        return None, "google", "organic"
    if draw < 0.45:
        return None, "bing", "organic"
    return None, None, None


def _journey(rng: random.Random, known: bool) -> list[tuple[str, int | None]]:
    """Event types of one visit and which of the session's products each touches."""
    steps: list[tuple[str, int | None]] = [("page_view", None)]
    for view in range(rng.choices((0, 1, 2, 3, 4), weights=(20, 30, 25, 15, 10))[0]):
        steps.append(("product_view", view % 4))
    if len(steps) > 1 and rng.random() < 0.35:
        steps.append(("add_to_cart", 0))
        if known and rng.random() < 0.45:
            steps.extend([("begin_checkout", None), ("purchase", None)])
    if rng.random() < 0.15:
        steps.append(("search", None))
    return steps


def _url(event_type: str, sku: str) -> str:
    return {
        "page_view": "/",
        "product_view": f"/product/{sku}",
        "add_to_cart": f"/cart?add={sku}",
        "begin_checkout": "/checkout",
        "purchase": "/checkout/confirmation",
        "search": "/search",
    }[event_type]


def _ip_address(rng: random.Random) -> str:
    octets = (rng.choice(_PUBLIC_FIRST_OCTETS), rng.randrange(256), rng.randrange(256))
    return f"{octets[0]}.{octets[1]}.{octets[2]}.{rng.randrange(1, 255)}"
