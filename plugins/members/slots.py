"""What the members add to the orders' pages through template slots: the
order's member on its detail page, the points field on the staff order form."""
from flask import render_template
from sqlalchemy import select

from portal import access
from portal.extensions import db

from .models import Member, MemberOrder
from .services.points import points_enabled

ORDER_DETAIL, NEW_ORDER_FIELDS = "orders_order_buyer", "orders_new_order_fields"


def template_slot(slot, context):
    """The markup for ``slot``, or None when the members have nothing there."""
    if slot == ORDER_DETAIL and access.has_level("members.member", "read"):
        order = context.get("order")
        row = db.session.execute(select(Member).join(MemberOrder, MemberOrder.member_id == Member.id)
                                 .where(MemberOrder.order_id == order.id)).scalar_one_or_none() if order else None
        if row is not None:
            return render_template("members/_order_member.html", member=row, link=db.session.get(MemberOrder, order.id))
    if slot == NEW_ORDER_FIELDS:
        from flask_login import current_user
        merchant_id = getattr(current_user, "merchant_id", None)
        if merchant_id is None or points_enabled(merchant_id):
            return render_template("members/_points_field.html", form=context.get("form"))
    return None
