"""Column-level checks: evidence that only the whole value distribution gives.

Some formats are ordinary numbers value by value: ``40271`` is a US ZIP code, a German
Postleitzahl, an order number or a price. One value cannot tell; the column can. A column
check looks at all sampled distinct values of a column and returns the strength (0..1) with
which they *as a whole* are this kind of value, and how many of them fit its shape. A rule
names its check with ``column_check``; the engine consults it when the rule's per-value
evidence did not convince (see :mod:`.engine`).

Checks must be cheap: they run on at most ``max_distinct`` values, with one regex per value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

# (fitting values, strength): strength 0 means "not convincing"
ColumnCheck = Callable[[Sequence[str]], tuple[int, float]]

MIN_VALUES = 5  # fewer distinct values say nothing about a distribution

_FIVE = re.compile(r"(\d{5})(?:-(\d{4}))?")
# 3-digit US ZIP prefixes that USPS has never assigned (sectional centres that do not exist).
_UNUSED = (
    "000 001 002 003 004 099 213 269 343 345 348 353 419 428 429 517 518 519 529 533 536 552 "
    "568 578 579 589 621 632 642 643 659 663 682 694 695 696 697 698 699 702 709 715 732 742 "
    "771 817 818 819 839 848 849 854 858 861 862 866 867 868 869 876 886 887 888 892 896 899 "
    "909 929 987"
)
_US_UNUSED_PREFIXES = frozenset(_UNUSED.split())


def postal_codes(values: Sequence[str]) -> tuple[int, float]:
    """Five-digit postal codes (US ZIP and ZIP+4, DE, FR, ES, IT, ...) judged as a column.

    At least five distinct values, nearly all (90 %) ``ddddd`` or ``ddddd-dddd``, spread over
    the number range (four different first digits, or one for every two values in smaller
    samples, and a span above 10,000: order numbers are dense).
    Then one more piece of evidence is needed, because a column of uniform random 5-digit
    numbers has exactly this shape:

    * ZIP+4 values (10 %+ of them), whose +4 part is not ``0000`` and whose 5-digit part has a
      3-digit prefix USPS assigns (85 %+ of them): strength 0.85; or
    * codes written as text with leading zeros kept: some values (up to 40 %) start with ``0``
      followed by a non-zero digit, and few (<= 20 %) start with ``00`` (zero-padded row
      numbers do): strength 0.8. Numbers never keep leading zeros; postal codes starting with
      0 exist in every five-digit system (New England, Saxony, Ain, Álava, Rome...).

    Without such evidence the column is not labelled from its values.
    """
    n = len(values)
    if n < MIN_VALUES:
        return 0, 0.0
    fitting = plus4 = plus4_ok = zero = double_zero = 0
    first_digits: set[str] = set()
    low, high = 99999, 0
    for value in values:
        m = _FIVE.fullmatch(value)
        if m is None:
            continue
        fitting += 1
        five, four = m.group(1), m.group(2)
        first_digits.add(five[0])
        number = int(five)
        low, high = min(low, number), max(high, number)
        if four is not None:
            plus4 += 1
            plus4_ok += four != "0000" and five[:3] not in _US_UNUSED_PREFIXES
        if five[0] == "0":
            if five[1] == "0":
                double_zero += 1
            else:
                zero += 1
    if fitting < 0.9 * n or len(first_digits) < min(4, (n + 1) // 2) or high - low <= 10_000:
        return 0, 0.0
    if plus4 >= 0.1 * fitting and plus4_ok >= 0.85 * plus4:
        return fitting, 0.85
    if zero and (zero + double_zero) <= 0.4 * fitting and double_zero <= 0.2 * fitting:
        return fitting, 0.8
    return 0, 0.0


COLUMN_CHECKS: dict[str, ColumnCheck] = {
    "postal_codes": postal_codes,
}
