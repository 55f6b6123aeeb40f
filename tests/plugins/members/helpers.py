"""Helpers for the members tests: orders placed through the real services
and their member read back."""
from sqlalchemy import func, select

from plugins.members.models import Member, MemberOrder, PointsEntry
from plugins.orders.services import place
from portal.extensions import db
from tests.plugins.orders.helpers import buyer, order_in, pay_in_full  # noqa: F401


def place_for(store, ref="C-1", lines=None, points=0, now=None, channel="portal", **buyer_changes):
    """A checkout for the customer ``ref``; its first order."""
    checkout = place(None, channel, buyer(**buyer_changes), lines or [(store.a.id, 2)], ref, now=now, points=points)
    return checkout.orders[0]


def member_of(order):
    link = db.session.get(MemberOrder, order.id)
    return db.session.get(Member, link.member_id) if link else None


def ledger_sum(member_id):
    return db.session.execute(select(func.coalesce(func.sum(PointsEntry.points), 0))
                              .where(PointsEntry.member_id == member_id)).scalar()
