"""Reading the content forms: times typed in the user's time zone become
naive UTC; a bad value names its field."""
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _

from .services import ContentError


def _zone(name):
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.utc


def local_to_utc(raw, zone_name, field):
    """A ``datetime-local`` value in the user's zone as naive UTC; None when empty."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        local = datetime.fromisoformat(raw)
    except ValueError:
        raise ContentError(_("%(field)s: %(value)s is not a date and time.", field=field, value=raw)) from None
    if local.tzinfo is not None:
        return local.astimezone(timezone.utc).replace(tzinfo=None)
    return local.replace(tzinfo=_zone(zone_name)).astimezone(timezone.utc).replace(tzinfo=None)


def utc_to_local_input(value, zone_name):
    """A naive UTC time as a ``datetime-local`` value in the user's zone."""
    if value is None:
        return ""
    return value.replace(tzinfo=timezone.utc).astimezone(_zone(zone_name)).strftime("%Y-%m-%dT%H:%M")


def window_fields(form, zone_name):
    """``{"starts_at", "ends_at"}`` from a form's ``starts_at`` and ``ends_at``."""
    return {"starts_at": local_to_utc(form.get("starts_at"), zone_name, _("Start")),
            "ends_at": local_to_utc(form.get("ends_at"), zone_name, _("End"))}


def fields(form, zone_name, names):
    """The named text fields of a form with the window fields."""
    return {**{name: form.get(name) for name in names}, **window_fields(form, zone_name)}
