"""The rule form: posted fields to the service's input, local times to UTC,
and a rule back to the form's values."""
from datetime import datetime, timezone

from flask_babel import get_timezone
from flask_babel import gettext as _

from ..services.errors import InvalidRule

FIELDS = ("name", "kind", "scope", "targets", "funder", "platform_share", "priority", "combines_with",
          "min_spend", "max_discount", "budget", "usage_limit", "per_customer_limit", "percent", "amount", "tiers",
          "n", "buy", "get", "gift_sku", "price", "sessions", "benefit", "code", "merchant_id")


def to_utc(raw, field):
    """``YYYY-MM-DDTHH:MM`` in the user's time zone -> naive UTC; None for blank."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        local = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidRule(field, _("%(value)r is not a date and time.", value=raw)) from None
    tz = get_timezone()
    aware = tz.localize(local) if hasattr(tz, "localize") else local.replace(tzinfo=tz)
    return aware.astimezone(timezone.utc).replace(tzinfo=None)


def to_local(value):
    """A naive UTC time as the form's ``datetime-local`` value."""
    if value is None:
        return ""
    return value.replace(tzinfo=timezone.utc).astimezone(get_timezone()).strftime("%Y-%m-%dT%H:%M")


def form_data(form):
    """The service's input from the posted form (an unchecked box is not sent)."""
    data = {name: form.get(name, "") for name in FIELDS}
    data["exclusive"] = form.get("exclusive") == "1"
    data["starts_at"] = to_utc(form.get("starts_at"), "starts_at")
    data["ends_at"] = to_utc(form.get("ends_at"), "ends_at")
    return data


def values_of(rule):
    """A rule's fields as the form shows them."""
    from ..services.rules import _form_of
    from sqlalchemy import select

    from portal.extensions import db

    from ..models import CouponCode
    values = _form_of(rule)
    values["starts_at"], values["ends_at"] = to_local(rule.starts_at), to_local(rule.ends_at)
    values["merchant_id"] = rule.merchant_id or ""
    values["code"] = db.session.execute(select(CouponCode.code).where(
        CouponCode.rule_id == rule.id, CouponCode.batch == "")).scalar() or ""
    return values
