"""Schedules in words: the common cron shapes read as a person would say them, anything else
falls back to the expression itself (never a wrong sentence)."""

from __future__ import annotations

import pytest
from croniter import croniter

from sounding.orchestration.cron_words import describe_cron, describe_interval

PARIS = "Europe/Paris"

CASES = [
    ("0 3 * * *", PARIS, "daily at 03:00 Europe/Paris"),
    ("30 22 * * *", "UTC", "daily at 22:30 UTC"),
    ("@daily", "UTC", "daily at 00:00 UTC"),
    ("@midnight", PARIS, "daily at 00:00 Europe/Paris"),
    ("@hourly", "UTC", "hourly"),
    ("@weekly", "UTC", "every Sunday at 00:00 UTC"),
    ("@monthly", "UTC", "monthly on the 1st at 00:00 UTC"),
    ("@yearly", "UTC", "yearly on 1 January at 00:00 UTC"),
    ("@annually", "UTC", "yearly on 1 January at 00:00 UTC"),
    ("* * * * *", "UTC", "every minute"),
    ("*/1 * * * *", "UTC", "every minute"),
    ("*/15 * * * *", PARIS, "every 15 minutes"),
    ("*/5 * * * *", "UTC", "every 5 minutes"),
    ("0 * * * *", "UTC", "hourly"),
    ("5 * * * *", "UTC", "hourly at :05"),
    ("0,30 * * * *", "UTC", "hourly at minutes :00 and :30"),
    ("0 */2 * * *", "UTC", "every 2 hours"),
    ("0 */1 * * *", "UTC", "every hour"),
    ("15 */6 * * *", "UTC", "every 6 hours at :15"),
    ("0 6,18 * * *", PARIS, "daily at 06:00 and 18:00 Europe/Paris"),
    ("0 6,12,18 * * *", "UTC", "daily at 06:00, 12:00 and 18:00 UTC"),
    ("0 9-17 * * *", "UTC", "hourly from 09:00 to 17:00 UTC"),
    ("0 9 * * 1-5", PARIS, "on weekdays at 09:00 Europe/Paris"),
    ("0 9 * * mon-fri", "UTC", "on weekdays at 09:00 UTC"),
    ("0 10 * * 6,0", "UTC", "on weekends at 10:00 UTC"),
    ("0 10 * * sat,sun", "UTC", "on weekends at 10:00 UTC"),
    ("5 4 * * sun", "UTC", "every Sunday at 04:05 UTC"),
    ("5 4 * * 7", "UTC", "every Sunday at 04:05 UTC"),
    ("0 8 * * 1,3,5", "UTC", "every Monday, Wednesday and Friday at 08:00 UTC"),
    ("0 8 * * 5,1", "UTC", "every Monday and Friday at 08:00 UTC"),
    ("0 0 * * 0-6", "UTC", "daily at 00:00 UTC"),
    ("0 9-17 * * 1-5", "UTC", "hourly from 09:00 to 17:00, on weekdays UTC"),
    ("*/10 * * * 1-5", "UTC", "every 10 minutes, on weekdays UTC"),
    ("15 14 1,15 * *", "UTC", "monthly on the 1st and 15th at 14:15 UTC"),
    ("0 2 2 * *", "UTC", "monthly on the 2nd at 02:00 UTC"),
    ("0 2 3 * *", "UTC", "monthly on the 3rd at 02:00 UTC"),
    ("0 2 11 * *", "UTC", "monthly on the 11th at 02:00 UTC"),
    ("0 2 22 * *", "UTC", "monthly on the 22nd at 02:00 UTC"),
    ("0 0 1 7 *", "UTC", "yearly on 1 July at 00:00 UTC"),
    ("0 0 1 jan,jul *", "UTC", "on the 1st of January and July at 00:00 UTC"),
    ("0 0 * 6 *", "UTC", "daily in June at 00:00 UTC"),
    ("0 7 * * 1 ", "UTC", "every Monday at 07:00 UTC"),
]

FALLBACKS = [
    "0 0 1 * 1",  # day of month and day of week: cron fires on either
    "0 0 L * *",
    "0 0 */2 * *",
    "*/10 9 * * *",
    "* 3 * * *",
    "0 0 * * 1#2",
    "0 0 3 * * *",  # with seconds
    "0 3-1 * * *",  # a reversed range
    "@reboot",
]


@pytest.mark.parametrize(("expression", "zone", "words"), CASES)
def test_common_shapes_read_as_words(expression: str, zone: str, words: str) -> None:
    assert describe_cron(expression, zone) == words


@pytest.mark.parametrize("expression", FALLBACKS)
def test_other_shapes_show_the_expression(expression: str) -> None:
    assert describe_cron(expression, PARIS) == f"cron {expression.strip()} (Europe/Paris)"


def test_every_case_is_a_valid_cron_expression() -> None:
    # the words describe what croniter (the scheduler) accepts, not a private dialect
    for expression, _, _ in CASES:
        assert croniter.is_valid(expression.strip()), expression


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (60, "every minute"),
        (300, "every 5 minutes"),
        (90, "every 90 seconds"),
        (3600, "every hour"),
        (7200, "every 2 hours"),
        (86400, "every day"),
        (1.5, "every 1.5 seconds"),
    ],
)
def test_intervals_read_as_words(seconds: float, words: str) -> None:
    assert describe_interval(seconds) == words
