"""Usage and budgets: taken when an order is placed (``OrderPlaced``) and
given back when it is cancelled (``OrderCancelled``), inside the order's
transaction.

Every take is one conditional UPDATE (or upsert) that succeeds only while
the cap leaves room, so concurrent orders racing for the last use of a
coupon or the last of a budget cannot pass it: the loser's row count is 0
and its placing is refused with a message. A give-back first marks the
order's record released with a conditional UPDATE, so it happens once."""
import json
from collections import defaultdict
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from plugins.orders.models import Adjustment as OrderAdjustment
from plugins.orders.models import Order
from plugins.orders.services.pricing import Draft, DraftLine
from portal.events import EventRejected
from portal.extensions import db
from portal.models import utcnow

from ..models import CouponCode, CustomerUse, OrderDiscount, OrderRecord, Rule
from .engine import to_money
from .pricing import SOURCE, evaluate_draft, funding, priced_outcome

# SQLite compares NUMERIC as floating point: half the smallest stored step
# keeps a budget spent to the cent from being refused by a rounding error.
SLACK = Decimal("0.00005")


class UsageExhausted(EventRejected):
    """A cap ran out between pricing and placing (another order took it)."""


def record_order(event):
    """Record the explanation and discounts of the order ``event`` placed and
    take their usage; ``UsageExhausted`` when a cap has no room left."""
    order = db.session.get(Order, event.order_id)
    outcome = priced_outcome(order) or evaluate_draft(_draft_of(order, event))
    given = sum((a.amount for a in db.session.execute(select(OrderAdjustment).where(
        OrderAdjustment.order_id == order.id, OrderAdjustment.source == SOURCE)).scalars()), Decimal(0))
    if given != -outcome.discount():
        raise EventRejected(_("The promotions changed while order %(number)s was being placed; place it again.",
                              number=order.number))
    if not outcome.verdicts:
        return None
    record = OrderRecord(order_id=order.id, merchant_id=order.merchant_id, customer_ref=event.customer_ref or "",
                         explanation_json=json.dumps([_verdict_json(v) for v in outcome.verdicts]),
                         placed_at=order.placed_at)
    db.session.add(record)
    for applied in outcome.applied:
        _take(applied, outcome, record, order)
    db.session.flush()
    return record


def _verdict_json(verdict):
    return {"rule_id": verdict.rule_id, "name": verdict.name, "kind": verdict.kind, "applied": verdict.applied,
            "code": verdict.code, "args": verdict.args, "sequence": verdict.sequence,
            "minor_units": verdict.minor_units}


def _draft_of(order, event):
    """The order's draft as placed (no coupon codes: they travel only in the priced draft)."""
    lines = tuple(DraftLine(line.position, line.sku_id, line.sku_code, line.title, line.qty, line.unit_price,
                            order.currency) for line in order.lines)
    return Draft(order.merchant_id, order.currency, lines, order.checkout.ship_region, order.checkout.channel,
                 event.customer_ref or "", city_code=order.checkout.ship_city_code)


def _take(applied, outcome, record, order):
    rule_view, minor = applied.rule, outcome.cart.minor
    amount = to_money(applied.total_units(), minor)
    taken = db.session.execute(update(Rule).where(
        Rule.id == rule_view.id,
        (Rule.usage_limit.is_(None)) | (Rule.used_count < Rule.usage_limit),
        (Rule.budget.is_(None)) | (Rule.budget_used + amount <= Rule.budget + SLACK),
    ).values(used_count=Rule.used_count + 1, budget_used=Rule.budget_used + amount)
        .execution_options(synchronize_session="fetch")).rowcount
    if taken != 1:
        raise UsageExhausted(_("Promotion %(name)s has just run out (uses or budget); price the order again.",
                               name=rule_view.name))
    code_id = None
    if rule_view.coupon is not None:
        code, code_id, _problem = rule_view.coupon
        cart = outcome.cart
        if db.session.execute(update(CouponCode).where(
                CouponCode.id == code_id,
                (CouponCode.max_uses.is_(None)) | (CouponCode.used_count < CouponCode.max_uses),
                (CouponCode.customer_ref.is_(None)) | ((CouponCode.channel == cart.channel)
                                                       & (CouponCode.customer_ref == cart.customer_ref)))
                .values(used_count=CouponCode.used_count + 1)
                .execution_options(synchronize_session="fetch")).rowcount != 1:
            raise UsageExhausted(_("Coupon code %(code)s has just been used up; remove it and price the order "
                                   "again.", code=code))
    units = applied.units if rule_view.per_customer_limit is not None else 0
    if units:
        _take_customer(rule_view, outcome.cart.customer_ref, units)
    for position, (index, share) in enumerate(applied.shares):
        signed = -to_money(share, minor)
        platform, merchant = funding(rule_view, signed, outcome.cart.currency)
        record.discounts.append(OrderDiscount(
            merchant_id=order.merchant_id, rule_id=rule_view.id, code_id=code_id, line_position=index,
            amount=signed, funder=rule_view.funder, platform_amount=platform, merchant_amount=merchant,
            units=units if position == 0 else 0))


def _take_customer(rule_view, customer_ref, units):
    dialect = db.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = CustomerUse.__table__
    statement = insert(table).values(rule_id=rule_view.id, customer_ref=customer_ref, used=units)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.rule_id, table.c.customer_ref], set_={"used": table.c.used + units},
        where=table.c.used + units <= rule_view.per_customer_limit).returning(table.c.used)
    # the row comes back only when inserted or updated: a refused update returns none (a row
    # count is not reliable for an upsert on every driver)
    if db.session.execute(statement).first() is None:
        raise UsageExhausted(_("The customer has already had promotion %(name)s as often as it allows; price the "
                               "order again.", name=rule_view.name))


def release_order(event):
    """Give back the usage and budget of a cancelled order, once."""
    released = db.session.execute(update(OrderRecord).where(
        OrderRecord.order_id == event.order_id, OrderRecord.released_at.is_(None))
        .values(released_at=utcnow()).execution_options(synchronize_session="fetch")).rowcount
    if released != 1:
        return False
    record = db.session.get(OrderRecord, event.order_id)
    db.session.refresh(record)
    per_rule, per_code, per_customer = defaultdict(Decimal), defaultdict(int), defaultdict(int)
    for discount in record.discounts:
        per_rule[discount.rule_id] += -Decimal(discount.amount)
        if discount.code_id is not None:
            per_code[discount.code_id] = 1
        per_customer[discount.rule_id] += discount.units
    for rule_id, amount in sorted(per_rule.items()):
        db.session.execute(update(Rule).where(Rule.id == rule_id).values(
            used_count=Rule.used_count - 1, budget_used=Rule.budget_used - amount)
            .execution_options(synchronize_session="fetch"))
    for code_id in sorted(per_code):
        db.session.execute(update(CouponCode).where(CouponCode.id == code_id).values(
            used_count=CouponCode.used_count - 1).execution_options(synchronize_session="fetch"))
    for rule_id, units in sorted(per_customer.items()):
        if units and record.customer_ref:
            db.session.execute(update(CustomerUse).where(
                CustomerUse.rule_id == rule_id, CustomerUse.customer_ref == record.customer_ref)
                .values(used=CustomerUse.used - units).execution_options(synchronize_session="fetch"))
    return True
