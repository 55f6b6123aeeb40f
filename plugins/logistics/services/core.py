"""What every logistics service is built from: who may act on which
merchant's records, the audit row, and form values."""
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _

from portal import access
from portal.audit import record

from .errors import InvalidValue, NotFound

TEMPLATE, SHIPMENT, CARRIER = "logistics.template", "logistics.shipment", "logistics.carrier"


def reach(actor, resource, level, merchant_id, what, ident):
    """The acting user (None: the system) must hold ``level`` on ``resource``
    for ``merchant_id``: outside the user's merchants the record does not
    exist (``NotFound``), below the level ``AccessDenied``."""
    if actor is None:
        return
    if actor.merchant_id is not None and merchant_id != actor.merchant_id:
        raise NotFound(what, ident)
    user_access = access.access(actor)
    if user_access.data_level("merchant", merchant_id) < access.READ:
        raise NotFound(what, ident)
    if user_access.record_level(resource, {"merchant": merchant_id}) < access.level_value(level):
        raise access.AccessDenied(_("You need %(level)s access to %(resource)s.", level=_(level), resource=resource))


def audit(action, actor, target, merchant_id=None, **summary):
    """The audit row of a logistics operation (``logistics.<action>``)."""
    record(f"logistics.{action}", target=target, summary=summary, plugin="logistics", merchant_id=merchant_id,
           actor=actor)


def text(value, field, max_length, required=False):
    """A trimmed string, checked for presence and length."""
    value = "" if value is None else str(value).strip()
    if required and not value:
        raise InvalidValue(field, _("required."))
    if len(value) > max_length:
        raise InvalidValue(field, _("at most %(n)s characters.", n=max_length))
    return value


def decimal(value, field, required=True, positive=False):
    """A non-negative ``Decimal`` (above zero when ``positive``), or None when optional and empty."""
    raw = "" if value is None else str(value).strip()
    if not raw:
        if required:
            raise InvalidValue(field, _("required."))
        return None
    try:
        number = Decimal(raw)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number < 0 or (positive and number == 0):
        raise InvalidValue(field, _("%(value)r is not a number %(rule)s.", value=raw,
                                    rule=_("above zero") if positive else _("of zero or more")))
    return number


def whole(value, field, required=True, positive=True):
    """A whole number (above zero when ``positive``), or None when optional and empty."""
    raw = "" if value is None else str(value).strip()
    if not raw:
        if required:
            raise InvalidValue(field, _("required."))
        return None
    if not (raw.isascii() and raw.isdigit()) or (positive and int(raw) == 0):
        raise InvalidValue(field, _("%(value)r is not a whole number above zero.", value=raw))
    return int(raw)
