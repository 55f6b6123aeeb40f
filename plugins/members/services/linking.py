"""The orders' events as the members see them, inside the order's
transaction: a placed order finds or creates its member, links them and
takes the points its price spent; completion earns growth and points; a
cancel gives the spent points back; a refund takes back growth and points in
proportion to the money returned."""
from decimal import ROUND_DOWN, Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from plugins.orders.events import OrderCancelled, OrderCompleted, OrderPlaced, RefundApproved
from plugins.orders.models import Adjustment, Order
from portal.events import EventRejected
from portal.extensions import db

from ..models import EARN, RETURN, REVERSE, SPEND, Member, MemberOrder
from .levels import add_growth, growth_of
from .points import InsufficientPoints, change_balance, earned_for, points_enabled, points_for
from .profiles import find_or_create, link_merchant

SOURCE, POINTS_KIND = "members", "points"


def on_event(event):
    """Dispatch an orders event to its handler; other events pass."""
    handler = HANDLERS.get(type(event))
    if handler is not None:
        handler(event)


def order_placed(event):
    order = db.session.get(Order, event.order_id)
    checkout = order.checkout
    member = find_or_create(checkout.channel, event.customer_ref, checkout, now=order.placed_at)
    if member is None:
        return
    link = MemberOrder(order_id=order.id, member_id=member.id, merchant_id=order.merchant_id,
                       placed_at=order.placed_at, total=order.total)
    db.session.add(link)
    link_merchant(member.id, order.merchant_id)
    member.orders_count += 1
    member.total_spent = Decimal(member.total_spent or 0) + order.total
    member.first_order_at = min(filter(None, (member.first_order_at, order.placed_at)))
    member.last_order_at = max(filter(None, (member.last_order_at, order.placed_at)))
    spent = _points_priced(order.id)
    if spent:
        try:
            change_balance(member.id, -spent, SPEND, _("Order %(number)s", number=order.number), order_id=order.id,
                           now=order.placed_at)
        except InsufficientPoints as exc:
            raise EventRejected(_("points: the member has %(balance)s points, fewer than the %(wanted)s this "
                                  "order spends.", balance=exc.balance, wanted=spent)) from exc
        link.points_spent = spent
    db.session.flush()


def _points_priced(order_id):
    """The points the order's price spent: its points adjustment, at the rate."""
    amount = db.session.execute(select(Adjustment.amount).where(
        Adjustment.order_id == order_id, Adjustment.source == SOURCE, Adjustment.kind == POINTS_KIND)).scalar()
    return points_for(-amount) if amount else 0


def _link(order_id):
    return db.session.get(MemberOrder, order_id)


def order_completed(event):
    link = _link(event.order_id)
    if link is None or link.cancelled:
        return
    member = db.session.get(Member, link.member_id)
    order = db.session.get(Order, event.order_id)
    # points at the level the member held when the order completed; its growth may then lift the level
    if points_enabled(order.merchant_id):
        multiplier = member.level.points_multiplier if member.level else 1
        earned = earned_for(order.total, multiplier)
        if earned > 0:
            change_balance(member.id, earned, EARN, _("Order %(number)s completed", number=order.number),
                           order_id=order.id, now=order.received_at)
            link.points_earned = earned
    growth = growth_of(order.total)
    link.growth = growth
    add_growth(member, growth, now=order.received_at)
    db.session.flush()


def order_cancelled(event):
    link = _link(event.order_id)
    if link is None or link.cancelled:
        return
    member = db.session.get(Member, link.member_id)
    link.cancelled = True
    member.orders_count = max(0, member.orders_count - 1)
    member.total_spent = Decimal(member.total_spent) - Decimal(link.total)
    if link.points_spent:
        change_balance(member.id, link.points_spent, RETURN, _("Order %(number)s cancelled", number=event.number),
                       order_id=link.order_id)
    db.session.flush()


def refund_approved(event):
    link = _link(event.order_id)
    if link is None:
        return
    member = db.session.get(Member, link.member_id)
    amount = Decimal(event.amount)
    link.refunded = Decimal(link.refunded) + amount
    member.total_spent = Decimal(member.total_spent) - amount
    back = min(link.growth, growth_of(amount))
    if back:
        link.growth -= back
        add_growth(member, -back)
    if link.points_earned and Decimal(link.total) > 0:
        share = min(Decimal(1), Decimal(link.refunded) / Decimal(link.total))
        due = int((link.points_earned * share).to_integral_value(ROUND_DOWN)) - link.points_reversed
        # what the buyer spent already cannot be taken back below zero
        take = min(due, db.session.execute(select(Member.points_balance).where(Member.id == member.id)).scalar())
        if take > 0:
            change_balance(member.id, -take, REVERSE, _("Refund on order %(number)s", number=event.number),
                           order_id=link.order_id)
            link.points_reversed += take
    db.session.flush()


HANDLERS = {OrderPlaced: order_placed, OrderCompleted: order_completed, OrderCancelled: order_cancelled,
            RefundApproved: refund_approved}
