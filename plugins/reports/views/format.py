"""How the pages show figures."""
from decimal import Decimal

from portal.money import quantize


def money(amount, currency):
    """An amount rounded to its currency's minor unit, with thousands separators."""
    return f"{quantize(Decimal(str(amount or 0)), currency):,}"
