"""What a promotion did (orders, discount by funder, revenue) and when
promotions run (the calendar)."""
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from plugins.orders.models import CANCELLED, Order
from portal import access
from portal.extensions import db
from portal.models import utcnow

from ..models import OrderDiscount, OrderRecord, Rule
from .rules import state_of


def rule_report(rule):
    """``{"orders", "cancelled", "discount", "platform", "merchant", "revenue", "currency_rows"}`` of a
    rule: orders it discounted (cancelled ones apart), what it gave by funder and
    those orders' revenue, per currency."""
    per_order = (select(OrderDiscount.order_id, func.sum(OrderDiscount.amount).label("amount"),
                        func.sum(OrderDiscount.platform_amount).label("platform"),
                        func.sum(OrderDiscount.merchant_amount).label("merchant"))
                 .where(OrderDiscount.rule_id == rule.id).group_by(OrderDiscount.order_id).subquery())
    # grouped by the label: PostgreSQL sees two copies of the comparison as different expressions
    cancelled_flag = (Order.state == CANCELLED).label("cancelled")
    rows = db.session.execute(
        select(Order.currency, cancelled_flag, func.count(), func.sum(per_order.c.amount),
               func.sum(per_order.c.platform), func.sum(per_order.c.merchant), func.sum(Order.total))
        .join(per_order, per_order.c.order_id == Order.id)
        .group_by(Order.currency, cancelled_flag).order_by(Order.currency)).all()
    report = {}
    for currency, cancelled, count, amount, platform, merchant, revenue in rows:
        entry = report.setdefault(currency, {"currency": currency, "orders": 0, "cancelled": 0,
                                             "discount": Decimal(0), "platform": Decimal(0),
                                             "merchant": Decimal(0), "revenue": Decimal(0)})
        if cancelled:
            entry["cancelled"] += count
            continue
        entry["orders"] += count
        entry["discount"] += -Decimal(amount or 0)
        entry["platform"] += -Decimal(platform or 0)
        entry["merchant"] += -Decimal(merchant or 0)
        entry["revenue"] += Decimal(revenue or 0)
    return list(report.values())


def recent_orders(rule, limit=20):
    """The latest orders the rule discounted, in the user's scope: ``[(order, discount)]``."""
    query = (select(Order, func.sum(OrderDiscount.amount)).join(OrderDiscount, OrderDiscount.order_id == Order.id)
             .where(OrderDiscount.rule_id == rule.id).group_by(Order.id)
             .order_by(Order.placed_at.desc(), Order.id.desc()).limit(limit))
    return db.session.execute(access.scoped(query, Order, "read")).all()


def calendar(start_day, days=28, now=None):
    """The rules the user sees that run at some time in ``days`` days from
    ``start_day`` (UTC dates): ``(days list, [(rule, state, [bool per day])])``."""
    now = now or utcnow()
    first = start_day
    last = first + timedelta(days=days)
    from datetime import datetime, time
    window_start, window_end = datetime.combine(first, time.min), datetime.combine(last, time.min)
    query = access.scoped(select(Rule), Rule, "read").where(
        Rule.status != "ended", Rule.starts_at < window_end,
        (Rule.ends_at.is_(None)) | (Rule.ends_at > window_start)).order_by(Rule.starts_at, Rule.id).limit(200)
    day_list = [first + timedelta(days=i) for i in range(days)]
    rows = []
    for rule in db.session.execute(query).scalars():
        marks = []
        for day in day_list:
            begin, end = datetime.combine(day, time.min), datetime.combine(day + timedelta(days=1), time.min)
            marks.append(rule.starts_at < end and (rule.ends_at is None or rule.ends_at > begin))
        rows.append((rule, state_of(rule, now), marks))
    return day_list, rows


def order_record(order_id):
    """The promotions' record of an order, or None."""
    return db.session.get(OrderRecord, order_id)
