"""What logistics adds to the order's page (``orders_order_shipping``): why
the order was charged its freight, and where its shipments are."""
from decimal import Decimal

from flask import render_template
from sqlalchemy import select

from plugins.orders.models import Shipment
from portal import access
from portal.extensions import db
from portal.money import quantize

from .models import Tracking
from .services.charging import breakdown_of
from .services.tracking import STATUS_LABELS

ORDER_DETAIL = "orders_order_shipping"


def template_slot(slot, context):
    """The markup for ``slot``, or None."""
    if slot == ORDER_DETAIL and context.get("order") is not None:
        return order_panel(context["order"])
    return None


def order_panel(order):
    """Freight groups (for users who may read templates) and tracking (for users who may read shipments)."""
    freight = breakdown_of(order) if access.record_level("logistics.template", order) >= access.READ else []
    tracking = []
    if access.record_level("logistics.shipment", order) >= access.READ:
        tracking = db.session.execute(select(Tracking).join(Shipment, Shipment.id == Tracking.shipment_id)
                                      .where(Shipment.order_id == order.id).order_by(Tracking.id)).scalars().all()
    if not freight and not tracking:
        return None
    return render_template("logistics/_order_panel.html", order=order, freight=freight, waiver=waiver_of(freight),
                           tracking=tracking, status_labels=STATUS_LABELS)


def waiver_of(freight):
    """Why the freight was waived, what that took off and what was left to pay, or None."""
    reason = next((f.waived_by for f in freight if f.waived_by), "")
    if not reason:
        return None
    currency = freight[0].currency
    total = sum((Decimal(f.amount) for f in freight), Decimal(0))
    return {"reason": reason, "amount": quantize(-total, currency), "charged": quantize(Decimal(0), currency),
            "currency": currency}
