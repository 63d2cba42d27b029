"""Money and percentages: `Decimal` only, never float.

Amounts are kept exact through every step of a calculation and rounded once, at the end, by
`round_to_minor_unit` - the one rounding rule in the ledger.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from functools import lru_cache

__all__ = [
    "HUNDRED",
    "ZERO",
    "decimal_text",
    "exact",
    "minor_unit_exponent",
    "percent_text",
    "round_to_minor_unit",
]

ZERO = Decimal(0)
HUNDRED = 100
"""Percent to fraction: an int, exact with both `Decimal` and `Fraction`."""


@lru_cache(maxsize=4096)
def exact(value: Decimal | int) -> Fraction:
    """`value` as an exact fraction (cached: contracts repeat the same few percentages and fees,
    and a what-if of every account converts them millions of times)."""
    return Fraction(value)


# ISO 4217 minor units for currencies that do not use two decimals. Every other code uses 2.
_MINOR_UNITS = {
    "BHD": 3,
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "IQD": 3,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "PYG": 0,
    "RWF": 0,
    "TND": 3,
    "UGX": 0,
    "UYI": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
}


def minor_unit_exponent(currency: str) -> int:
    """Number of decimals of `currency`'s minor unit (EUR 2, JPY 0, KWD 3)."""
    return _MINOR_UNITS.get(currency.upper(), 2)


def round_to_minor_unit(amount: Decimal | Fraction, currency: str) -> Decimal:
    """Round an exact amount to the currency's minor unit, half up (0.005 EUR -> 0.01 EUR).

    Rule `credit_rounding`: credits are computed exactly (as fractions: a fee pro rata of 17/31
    of a month has no finite decimal) and rounded once, at the end of a statement, so no sum of
    already-rounded parts drifts from the rounded whole. Half up is the invoicing convention of
    both source contracts' vendors.
    """
    exponent = minor_unit_exponent(currency)
    exact = Fraction(amount) * 10**exponent
    units = (exact.numerator * 2 + exact.denominator) // (exact.denominator * 2)  # half up
    if exact < 0:
        units = -((-exact.numerator * 2 + exact.denominator) // (exact.denominator * 2))
    return Decimal(units).scaleb(-exponent)


def decimal_text(value: Fraction, places: int = 6) -> str:
    """An exact fraction shown with `places` decimals, rounded half up (for display only)."""
    scaled = value * 10**places
    units = (abs(scaled.numerator) * 2 + scaled.denominator) // (scaled.denominator * 2)
    return str(Decimal(units if value >= 0 else -units).scaleb(-places))


def percent_text(value: Decimal, places: int = 4) -> str:
    """Show a percentage with `places` decimals, rounded down.

    Rule `availability_display`: rounding down means a month that missed 99.9% can never be shown
    as 99.9000.
    """
    quantum = Decimal(1).scaleb(-places)
    return str(value.quantize(quantum, rounding=ROUND_DOWN))
