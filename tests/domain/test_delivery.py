"""The pure rules of delivery: the signature a receiver can check, the back-off curve with its
jitter, the token bucket that defers (never drops) and the Slack body's shape."""

from __future__ import annotations

import hashlib
import hmac
import random
from datetime import UTC, datetime

from sounding.domain import delivery as rules
from sounding.domain.delivery import DeliveryWork, TokenBucket


def test_the_signature_is_an_hmac_of_timestamp_dot_body() -> None:
    body = b'{"a":1}'
    expected = hmac.new(b"key", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert rules.sign("key", 1700000000, body) == f"sha256={expected}"
    assert rules.verify("key", "1700000000", body, f"sha256={expected}")
    assert not rules.verify("key", "1700000001", body, f"sha256={expected}")
    assert not rules.verify("other", "1700000000", body, f"sha256={expected}")
    assert not rules.verify("key", "soon", body, f"sha256={expected}")


def test_back_off_grows_four_times_with_jitter_up_to_the_longest() -> None:
    rng = random.Random(7)
    waits = [rules.backoff_seconds(n, 30.0, 3600.0, rng) for n in range(1, 7)]
    for n, wait in enumerate(waits, start=1):
        base = min(3600.0, 30.0 * 4 ** (n - 1))
        assert 0.8 * base <= wait <= min(3600.0, 1.2 * base)
    assert waits[-1] <= 3600.0 and waits[2] > waits[1] > waits[0]


def test_the_bucket_allows_its_rate_in_a_burst_then_says_how_long_to_wait() -> None:
    bucket = TokenBucket(2)
    assert [bucket.take(100.0) for _ in range(2)] == [0.0, 0.0]
    assert bucket.take(100.0) == 30.0  # 2 a minute: the next token in 30 s
    assert bucket.take(115.0) == 15.0
    assert bucket.take(130.0) == 0.0
    assert bucket.take(130.0) > 0


def test_a_slack_body_has_text_and_blocks_with_an_absolute_link() -> None:
    work = DeliveryWork(
        1, "team", "k", "Schema changed", "orders lost a column", {}, "/assets/1", 0,
        datetime(2026, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    body = rules.slack_body(work, "https://s.example.com/")
    assert body["text"] == "Schema changed\norders lost a column"
    assert [b["type"] for b in body["blocks"]] == ["header", "section", "context"]
    assert "<https://s.example.com/assets/1|Open in Sounding>" in str(body["blocks"][2])
    generic = rules.webhook_body(work, None)
    assert generic["link"] == "/assets/1" and generic["created_at"] == "2026-01-01T00:00:00Z"
