"""Reading the plugin's forms and query strings into the values services take.
A value that cannot be read raises ``PermissionsError`` naming the field."""
from datetime import date, datetime, time, timedelta

from flask_babel import to_utc

from portal.i18n import N_

from .services.audit_log import AuditFilters
from .services.rules import PermissionsError
from .services.users import SORTS

PLATFORM = "platform"


def optional_int(raw):
    """``"12"`` -> 12; empty or not a number -> None (a filter that is not set)."""
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() else None


def required_int(raw, field):
    """An id a form must carry; the message names the field."""
    value = optional_int(raw)
    if value is None:
        raise PermissionsError(N_("%(field)s: choose a value."), field=field)
    return value


def int_list(values):
    """Checkbox ids; anything that is not a number is ignored (it cannot be a role)."""
    return [int(v) for v in values if (v or "").strip().isdigit()]


def merchant_choice(raw):
    """The merchant select: empty or "platform" means a platform account."""
    raw = (raw or "").strip()
    if raw in ("", PLATFORM):
        return None
    if not raw.isdigit():
        raise PermissionsError(N_("Merchant: choose a merchant from the list."))
    return int(raw)


def user_filters(args):
    """The users list's query string: ``q``, ``merchant``, ``role``, ``active``, ``sort``."""
    merchant = (args.get("merchant") or "").strip()
    active = args.get("active")
    sort = args.get("sort") or "email"
    return {
        "q": (args.get("q") or "").strip()[:200],
        "merchant_id": PLATFORM if merchant == PLATFORM else optional_int(merchant),
        "role_id": optional_int(args.get("role")),
        "active": True if active == "1" else False if active == "0" else None,
        "sort": sort if sort in SORTS else "email",
    }


def _day(raw, field):
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise PermissionsError(N_("%(field)s: use a date like 2024-03-31."), field=field) from None


def audit_filters(args, from_label, to_label):
    """The audit viewer's query string. Dates are days in the user's time
    zone; ``to`` includes its whole day."""
    since, until = _day(args.get("from"), from_label), _day(args.get("to"), to_label)
    if since and until and until < since:
        raise PermissionsError(N_("%(field)s: the end date is before the start date."), field=to_label)
    return AuditFilters(
        actor=(args.get("actor") or "").strip()[:254],
        plugin=(args.get("plugin") or "").strip()[:64],
        action=(args.get("action") or "").strip()[:100],
        since=_local_midnight(since),
        until=_local_midnight(until + timedelta(days=1)) if until else None,
    )


def _local_midnight(day):
    return to_utc(datetime.combine(day, time())) if day else None
