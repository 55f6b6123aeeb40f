"""Money: ``Decimal`` amounts with ISO 4217 currency codes, explicit rounding,
currencies from Babel's data, dated exchange rates (entered by hand, or
imported from CSV by ``portal.rates_csv``) and conversion to the platform's
reporting currency."""
import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale
from babel.numbers import get_currency_name, get_currency_precision, get_territory_currencies, list_currencies
from flask import g, has_app_context
from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from .audit import record
from .extensions import db
from .models import Currency, ExchangeRate, Merchant, utcnow

PLAIN_NUMBER = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")
# "1,234,567.89": commas only as thousands separators; "7,12" is refused, not read as 712
GROUPED_NUMBER = re.compile(r"^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[0-9]*)?$")
ISO_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
# portal_exchange_rate.rate is NUMERIC(20, 10); SQLite keeps it as a double, exact to 15 digits
RATE_DECIMALS = 10
RATE_DIGITS = 15


class MoneyError(ValueError):
    """A bad amount, an unknown currency or a missing rate; the message says which."""


class FieldError(MoneyError):
    """A bad value in a named field: the message is "<field>: <problem>"."""

    def __init__(self, field, problem):
        self.field, self.problem = field, problem
        super().__init__(_("%(field)s: %(problem)s", field=field, problem=problem))


def shown(value):
    """A user's value quoted for a message, or "an empty value"."""
    text = str(value).strip() if value is not None else ""
    return repr(text) if text else _("an empty value")


def to_decimal(value, field="amount"):
    """Parse a user-entered amount; never through float."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise FieldError(field, _("%(value)s is not a number.", value=shown(value)))
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    text = str(value if value is not None else "").strip()
    if GROUPED_NUMBER.match(text):
        text = text.replace(",", "")
    if not PLAIN_NUMBER.match(text):
        raise FieldError(field, _("%(value)s is not a number.", value=shown(value)))
    try:
        return Decimal(text)
    except InvalidOperation:
        raise FieldError(field, _("%(value)s is not a number.", value=shown(value))) from None


def plain(value):
    """A Decimal without exponent or trailing zeros: ``7.1200000000`` -> ``7.12``."""
    if value is None:
        return ""
    return f"{Decimal(value).normalize():f}"


def minor_unit(currency):
    """Digits after the decimal point for a currency (2 for CNY, 0 for JPY).

    Remembered for the request: a list page asks once per amount shown."""
    cache = g.setdefault("portal_minor_units", {}) if has_app_context() else {}
    if currency not in cache:
        row = db.session.get(Currency, currency)
        cache[currency] = row.minor_unit if row is not None else get_currency_precision(currency)
    return cache[currency]


def quantize(amount, currency, rounding=ROUND_HALF_UP):
    """Round to the currency's minor unit (2 for CNY, 0 for JPY)."""
    exponent = Decimal(1).scaleb(-minor_unit(currency))
    return to_decimal(amount).quantize(exponent, rounding=rounding)


# -- currencies ------------------------------------------------------------------

def current_tender():
    """Codes that are legal tender somewhere today (Babel's territory data)."""
    codes = set()
    for territory in Locale("en").territories:
        codes.update(get_territory_currencies(territory))
    return codes


def ensure_currencies():
    """Insert every ISO 4217 currency Babel knows that is not in the table yet.

    Only currencies in use today start active; historic ones (DEM, FRF) and
    funds or metals (XAU) are there for old data but stay out of the pickers."""
    have = set(db.session.execute(select(Currency.code)).scalars())
    tender = current_tender() if len(have) < len(list_currencies()) else set()
    for code in sorted(list_currencies()):
        if len(code) == 3 and code not in have:
            db.session.add(Currency(code=code, name=get_currency_name(code, locale="en"),
                                    minor_unit=get_currency_precision(code), active=code in tender))
    db.session.flush()


def currency(code, field="currency"):
    """The ``Currency`` row for a code; ``MoneyError`` naming the field when unknown."""
    text = (code or "").strip().upper()
    row = db.session.get(Currency, text) if len(text) == 3 else None
    if row is None:
        raise FieldError(field, _("%(value)s is not a known currency code (ISO 4217).", value=shown(code)))
    return row


def set_currency_active(code, active, actor=None):
    """Switch a currency on or off for the pickers; audited. Refuses to switch
    off the reporting currency or a merchant's default currency."""
    row = currency(code)
    if row.active == active:
        return row
    if not active:
        if row.code == reporting_currency():
            raise MoneyError(_("%(code)s is the reporting currency; choose another one in Settings first.",
                               code=row.code))
        users = db.session.execute(select(Merchant.code).where(Merchant.default_currency == row.code)
                                   .order_by(Merchant.code).limit(6)).scalars().all()
        if users:
            names = ", ".join(users[:5]) + (", ..." if len(users) > 5 else "")
            raise MoneyError(_("%(code)s is the default currency of merchant(s) %(names)s; change theirs first.",
                               code=row.code, names=names))
    row.active = active
    record("currency.activate" if active else "currency.deactivate", target=row.code, actor=actor)
    return row


# -- rates -----------------------------------------------------------------------

def reporting_currency():
    """The platform's reporting currency (setting ``core.reporting_currency``)."""
    from . import settings
    return settings.get("core.reporting_currency")


def find_rate(base, quote, day=None):
    """``(rate, day)`` of the latest stored rate on or before ``day`` (default:
    today, UTC); the inverse of the opposite pair when only that one is stored.
    Raises ``MoneyError`` when there is none."""
    base, quote = base.upper(), quote.upper()
    day = day or utcnow().date()
    if base == quote:
        return Decimal(1), day
    for b, q, invert in ((base, quote, False), (quote, base, True)):
        row = db.session.execute(
            select(ExchangeRate).where(ExchangeRate.base == b, ExchangeRate.quote == q, ExchangeRate.day <= day)
            .order_by(ExchangeRate.day.desc()).limit(1)).scalar_one_or_none()
        if row is not None:
            return ((Decimal(1) / row.rate) if invert else row.rate), row.day
    raise MoneyError(_("No exchange rate from %(base)s to %(quote)s on or before %(day)s.",
                       base=base, quote=quote, day=day.isoformat()))


def latest_rates_to(target, codes, day=None):
    """``{code: (rate, day)}``: for each code, what ``find_rate(code, target,
    day)`` returns, in two queries for the whole list; codes without a rate
    are left out."""
    day = day or utcnow().date()
    codes = {c for c in codes if c != target}
    pairs = or_(ExchangeRate.quote == target, ExchangeRate.base == target)
    latest = (select(ExchangeRate.base, ExchangeRate.quote, func.max(ExchangeRate.day).label("day"))
              .where(pairs, ExchangeRate.day <= day).group_by(ExchangeRate.base, ExchangeRate.quote).subquery())
    rows = db.session.execute(select(ExchangeRate).join(latest, (ExchangeRate.base == latest.c.base)
                                                        & (ExchangeRate.quote == latest.c.quote)
                                                        & (ExchangeRate.day == latest.c.day))).scalars()
    direct, inverse = {}, {}
    for row in rows:
        if row.quote == target and row.base in codes:
            direct[row.base] = (row.rate, row.day)
        elif row.base == target and row.quote in codes:
            inverse[row.quote] = (Decimal(1) / row.rate, row.day)
    return {**inverse, **direct}


def rate(base, quote, day=None):
    """How many ``quote`` one ``base`` buys on ``day``; see ``find_rate``."""
    return find_rate(base, quote, day)[0]


def convert(amount, base, quote, day=None):
    """Convert and round to the target currency's minor unit."""
    return quantize(to_decimal(amount) * rate(base, quote, day), quote)


def to_reporting(amount, currency, day=None):
    """``amount`` in the platform's reporting currency, rounded to its minor unit."""
    return convert(amount, currency, reporting_currency(), day)


def parse_rate(value, field="rate"):
    """A positive rate that the database keeps exactly; ``MoneyError`` otherwise."""
    if isinstance(value, Decimal):
        result = value
    else:
        text = str(value if value is not None else "").strip()
        if not PLAIN_NUMBER.match(text):
            raise FieldError(field, _("%(value)s is not a number (write it like 7.1234).", value=shown(text)))
        result = Decimal(text)
    if not result.is_finite() or result <= 0:
        raise FieldError(field, _("must be greater than zero."))
    sign, digits, exponent = result.normalize().as_tuple()
    if -exponent > RATE_DECIMALS:
        raise FieldError(field, _("at most %(n)s digits after the decimal point.", n=RATE_DECIMALS))
    if len(digits) + max(exponent, 0) > RATE_DIGITS:
        raise FieldError(field, _("at most %(n)s significant digits.", n=RATE_DIGITS))
    return result


def parse_day(value, field="date"):
    """A ``YYYY-MM-DD`` date; ``MoneyError`` naming the field otherwise."""
    if isinstance(value, date):
        return value
    text = (value or "").strip()
    try:
        if not ISO_DAY.match(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise FieldError(field, _("%(value)s is not a date (write it as YYYY-MM-DD).", value=shown(text))) from None


def check_pair(base, quote):
    """Both codes known and different; returns the two upper-case codes."""
    b = currency(base, "base").code
    q = currency(quote, "quote").code
    if b == q:
        raise FieldError("quote", _("must differ from base (%(base)s).", base=b))
    return b, q


def set_rate(base, quote, day, value, actor=None, source="manual"):
    """Store the rate of a pair on a day, replacing that day's rate if there
    is one; audited. Returns ``(row, created)``."""
    b, q = check_pair(base, quote)
    day, value = parse_day(day), parse_rate(value)
    row = db.session.execute(select(ExchangeRate).where(
        ExchangeRate.base == b, ExchangeRate.quote == q, ExchangeRate.day == day)).scalar_one_or_none()
    created = row is None
    old = None if created else row.rate
    if created:
        row = ExchangeRate(base=b, quote=q, day=day, rate=value, source=source)
        db.session.add(row)
    elif old == value:
        return row, False
    row.rate, row.source = value, source
    db.session.flush()
    record("currency.rate_set", target=f"{b}/{q} {day.isoformat()}", actor=actor,
           summary={"from": plain(old) if old is not None else None, "to": plain(value), "source": source})
    return row, created


def rates_query(base=None, quote=None):
    """Stored rates, newest first, optionally for one base and/or quote."""
    query = select(ExchangeRate)
    if base:
        query = query.where(ExchangeRate.base == base.upper())
    if quote:
        query = query.where(ExchangeRate.quote == quote.upper())
    return query.order_by(ExchangeRate.day.desc(), ExchangeRate.base, ExchangeRate.quote, ExchangeRate.id)
