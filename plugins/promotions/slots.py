"""What the promotions add to the orders' pages (``portal_template_slot``)."""
from flask import render_template

from portal import access

from .services import explain
from .services.reports import order_record

ORDER_DETAIL = "orders_order_detail"


def template_slot(slot, context):
    """The markup for ``slot``, or None."""
    if slot == ORDER_DETAIL:
        return order_explanation(context.get("order"))
    return None


def order_explanation(order):
    """Which rules applied to the order and why the others did not, as stored
    when it was placed; nothing for users who may not read promotions."""
    if order is None or not access.has_level("promotions.rule", "read"):
        return None
    record = order_record(order.id)
    if record is None:
        return None
    funders = {}
    for discount in record.discounts:
        funders.setdefault(discount.rule_id, (discount.funder, []))[1].append(discount)
    return render_template("promotions/_order_explanation.html", record=record, order=order,
                           rows=explain.rows(record.explanation, order.currency), funders=funders)
