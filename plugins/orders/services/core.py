"""What every orders service is built from: who may act on which order, the
audit row, text fields."""
from flask_babel import gettext as _

from portal import access
from portal.audit import record
from portal.models import utcnow

from .errors import InvalidField, OrderNotFound

ORDER, REFUND = "orders.order", "orders.refund"


def guard(actor, resource, level):
    """Check the acting user's functional level; ``None`` is the system
    (jobs, payment notifications, other plugins' events)."""
    if actor is not None:
        access.require(resource, level, actor)


def reach(actor, record_, resource=ORDER, level="write"):
    """The acting user must hold ``level`` on ``resource`` for this order (or
    shipment): outside the user's data scope it does not exist
    (``OrderNotFound``); inside it but below the level, ``AccessDenied``."""
    if actor is None:
        return
    number = getattr(getattr(record_, "order", None), "number", None) or getattr(record_, "number", record_.id)
    if actor.merchant_id is not None and record_.merchant_id != actor.merchant_id:
        raise OrderNotFound(number)
    user_access = access.access(actor)
    scopes = {scope: getattr(record_, column.key) for scope, column in access.scope_columns(type(record_)).items()}
    if any(user_access.data_level(scope, value) < access.READ for scope, value in scopes.items()):
        raise OrderNotFound(number)
    if user_access.record_level(resource, scopes) < access.level_value(level):
        raise access.AccessDenied(_("You need %(level)s access to %(resource)s for order %(order)s.",
                                    level=_(level), resource=resource, order=number))


def audit(action, actor, order, **summary):
    """The audit row of an order operation (``orders.<action>``)."""
    record(f"orders.{action}", target=order.number, summary=summary, plugin="orders",
           merchant_id=order.merchant_id, actor=actor)


def text(value, field, max_length, required=False):
    """A trimmed string, checked for presence and length."""
    value = "" if value is None else str(value).strip()
    if required and not value:
        raise InvalidField(field, _("required."))
    if len(value) > max_length:
        raise InvalidField(field, _("at most %(n)s characters.", n=max_length))
    return value


def now_or(now):
    """``now`` (a test's frozen clock, a job's run time) or the current UTC time."""
    return now or utcnow()
