"""Money: ``Decimal`` amounts with ISO 4217 currency codes, explicit rounding,
currencies from Babel's data, dated exchange rates and conversion to the
platform's reporting currency."""
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import get_currency_name, get_currency_precision, list_currencies
from sqlalchemy import select

from .extensions import db
from .models import Currency, ExchangeRate


class MoneyError(ValueError):
    """A bad amount, an unknown currency or a missing rate; the message says which."""


def to_decimal(value, field="amount"):
    """Parse a user-entered amount; never through float."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    try:
        result = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, AttributeError):
        raise MoneyError(f"{field}: {value!r} is not a number.") from None
    if not result.is_finite():
        raise MoneyError(f"{field}: {value!r} is not a number.")
    return result


def minor_unit(currency):
    row = db.session.get(Currency, currency)
    if row is not None:
        return row.minor_unit
    return get_currency_precision(currency)


def quantize(amount, currency, rounding=ROUND_HALF_UP):
    """Round to the currency's minor unit (2 for CNY, 0 for JPY)."""
    exponent = Decimal(1).scaleb(-minor_unit(currency))
    return Decimal(amount).quantize(exponent, rounding=rounding)


def ensure_currencies():
    """Insert every ISO 4217 currency Babel knows that is not in the table yet."""
    have = set(db.session.execute(select(Currency.code)).scalars())
    for code in sorted(list_currencies()):
        if len(code) == 3 and code not in have:
            db.session.add(Currency(code=code, name=get_currency_name(code, locale="en"),
                                    minor_unit=get_currency_precision(code)))
    db.session.flush()


def rate(base, quote, day=None):
    """The rate of the latest day on or before ``day``; the inverse rate when
    only that one is stored. Raises ``MoneyError`` when there is none."""
    if base == quote:
        return Decimal(1)
    day = day or date.today()
    for b, q, invert in ((base, quote, False), (quote, base, True)):
        row = db.session.execute(
            select(ExchangeRate).where(ExchangeRate.base == b, ExchangeRate.quote == q, ExchangeRate.day <= day)
            .order_by(ExchangeRate.day.desc()).limit(1)).scalar_one_or_none()
        if row is not None:
            return (Decimal(1) / row.rate) if invert else row.rate
    raise MoneyError(f"No exchange rate from {base} to {quote} on or before {day.isoformat()}.")


def convert(amount, base, quote, day=None):
    """Convert and round to the target currency's minor unit."""
    return quantize(Decimal(amount) * rate(base, quote, day), quote)


def to_reporting(amount, currency, day=None):
    from . import settings
    return convert(amount, currency, settings.get("core.reporting_currency"), day)
