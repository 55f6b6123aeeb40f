"""Settlement: what each merchant is paid for a period.

An order is settled once its after-sales window has closed (state closed) or
it was cancelled; each of its payments and refunds is a settlement line,
settled once (a refund recorded after its order was settled lands in the
next period as a negative line). Per line, to the cent:

    payout + commission + fees = captured - refunded

Commission: the rule of highest priority valid on the day the order was
placed, for its merchant (or all merchants) and its main category (the
category of its largest line; or all categories): ``percent`` of the amount,
plus ``fixed`` per sale; a refund gives back the percentage part; cancelled
orders bear no commission. Fees: what the payment provider kept of the
money (the fee on the statement lines matched to the payment, in proportion),
charged to the merchant unless the rule says the platform bears them.

A run settles, for every active merchant, the last period that has ended
(weekly or monthly, a per-merchant setting) and skips a period already
settled, so running it twice changes nothing. A payout above the set amount
waits for a second person's approval."""
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from plugins.catalog.models import Product, Sku
from plugins.orders.models import CANCELLED, CLOSED, REFUND as REFUND_PAYMENT, Order, OrderLine, Payment
from portal import settings
from portal.extensions import db
from portal.models import Merchant, utcnow
from portal.money import quantize

from ..models import (APPROVED, AWAITING_APPROVAL, PLATFORM_BEARS, READY, REFUND, SALE, CommissionRule, Match,
                      Receivable, Settlement, SettlementLine, StatementLine)
from .core import FinanceError, audit

SETTLEMENT, PAYOUT = "finance.settlement", "finance.payout"
HUNDRED = Decimal(100)
ZERO = Decimal(0)


def period_of(day, kind):
    """``(start, end)`` of the weekly (Monday to Sunday) or monthly period
    holding ``day``; ``end`` is the day after the last."""
    if kind == "weekly":
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=7)
    start = day.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def last_ended_period(today, kind):
    """The most recent period that ended on or before ``today``."""
    current_start, _end = period_of(today, kind)
    return period_of(current_start - timedelta(days=1), kind)


def line_amounts(kind, amount, percent, fixed, fee, currency, commission_free=False):
    """``(captured, refunded, commission, fees, payout)`` of one payment
    (``kind`` sale, ``amount`` positive) or refund (``amount`` negative)."""
    fees = quantize(fee, currency)
    if kind == SALE:
        captured, refunded = amount, ZERO
        commission = ZERO if commission_free else quantize(amount * percent / HUNDRED + fixed, currency)
    else:
        captured, refunded = ZERO, -amount
        commission = ZERO if commission_free else -quantize(refunded * percent / HUNDRED, currency)
    payout = captured - refunded - commission - fees
    return captured, refunded, commission, fees, payout


def choose_rule(rules, merchant_id, category_id, day):
    """The rule that applies, or None (no commission)."""
    fitting = [r for r in rules if r.valid_from <= day and (r.valid_to is None or day <= r.valid_to)
               and r.merchant_id in (None, merchant_id) and r.category_id in (None, category_id)]
    if not fitting:
        return None
    return max(fitting, key=lambda r: (r.priority, r.merchant_id is not None, r.category_id is not None, r.id))


def run_settlements(actor, today=None, merchant_ids=None):
    """Settle the last ended period of every active merchant (or those given);
    returns the new settlements. Idempotent."""
    _guard(actor, SETTLEMENT, "manage")
    today = today or utcnow().date()
    rules = db.session.execute(select(CommissionRule)).scalars().all()
    threshold = settings.get("finance.payout_approval_above")
    query = select(Merchant).where(Merchant.status == "active").order_by(Merchant.id)
    if merchant_ids is not None:
        query = query.where(Merchant.id.in_(merchant_ids))
    created = []
    for merchant in db.session.execute(query).scalars().all():
        kind = settings.get("finance.settlement_period", merchant_id=merchant.id)
        start, end = last_ended_period(today, kind)
        done = db.session.execute(select(Settlement.id).where(Settlement.merchant_id == merchant.id,
                                                              Settlement.period_start == start).limit(1)).first()
        if done is None:
            created += _settle(actor, merchant, start, end, rules, threshold)
    db.session.flush()
    return created


def _eligible(merchant_id, end):
    """The merchant's unsettled payments of orders closed or cancelled before ``end``."""
    cutoff = datetime.combine(end, datetime.min.time())
    settled = select(SettlementLine.payment_id).where(SettlementLine.merchant_id == merchant_id)
    done_at = func.coalesce(Order.closed_at, Order.cancelled_at)
    query = (select(Payment, Order).join(Order, Payment.order_id == Order.id)
             .where(Order.merchant_id == merchant_id, Order.state.in_((CLOSED, CANCELLED)), done_at < cutoff,
                    Payment.id.not_in(settled))
             .order_by(Payment.id))
    return db.session.execute(query).all()


def _settle(actor, merchant, start, end, rules, threshold):
    rows = _eligible(merchant.id, end)
    if not rows:
        return []
    categories = _main_categories({order.id for _p, order in rows})
    fees = _provider_fees([payment.id for payment, _o in rows])
    by_currency = defaultdict(list)
    for payment, order in rows:
        by_currency[payment.currency].append((payment, order))
    created = []
    for currency, items in sorted(by_currency.items()):
        settlement = Settlement(number=f"ST-{merchant.code}-{start:%Y%m%d}-{currency}", merchant_id=merchant.id,
                                period_start=start, period_end=end, currency=currency,
                                created_by_id=getattr(actor, "id", None))
        db.session.add(settlement)
        for payment, order in items:
            settlement.lines.append(_line(merchant, payment, order, categories.get(order.id), fees, rules))
        for name in ("captured", "refunded", "commission", "fees", "payout"):
            setattr(settlement, name, sum((getattr(line, name) for line in settlement.lines), ZERO))
        settlement.status = AWAITING_APPROVAL if settlement.payout > threshold else READY
        db.session.flush()
        audit("settlement_created", actor, settlement.number, merchant_id=merchant.id, payout=str(settlement.payout),
              currency=currency, lines=len(settlement.lines), status=settlement.status)
        created.append(settlement)
    return created


def _line(merchant, payment, order, category_id, fees, rules):
    kind = REFUND if payment.kind == REFUND_PAYMENT else SALE
    rule = choose_rule(rules, merchant.id, category_id, order.placed_at.date())
    percent = Decimal(rule.percent) if rule else ZERO
    fixed = Decimal(rule.fixed) if rule else ZERO
    fee = ZERO if rule is not None and rule.fee_bearer == PLATFORM_BEARS else fees.get(payment.id, ZERO)
    captured, refunded, commission, fee_total, payout = line_amounts(
        kind, Decimal(payment.amount), percent, fixed, fee, payment.currency,
        commission_free=order.state == CANCELLED)
    return SettlementLine(merchant_id=merchant.id, payment_id=payment.id, order_id=order.id,
                          order_number=order.number, kind=kind, rule_id=rule.id if rule else None,
                          captured=captured, refunded=refunded, commission=commission, fees=fee_total, payout=payout)


def _main_categories(order_ids):
    """``{order_id: category_id}`` of each order's largest line."""
    best = {}
    ids = sorted(order_ids)
    for start in range(0, len(ids), 500):
        query = (select(OrderLine.order_id, OrderLine.line_total, Product.category_id)
                 .join(Sku, OrderLine.sku_id == Sku.id).join(Product, Sku.product_id == Product.id)
                 .where(OrderLine.order_id.in_(ids[start:start + 500])))
        for order_id, total, category_id in db.session.execute(query):
            if order_id not in best or Decimal(total) > best[order_id][0]:
                best[order_id] = (Decimal(total), category_id)
    return {order_id: category for order_id, (_t, category) in best.items()}


def _provider_fees(payment_ids):
    """``{payment_id: fee}``: the fee of the statement lines matched to each payment, in proportion."""
    fees = defaultdict(lambda: ZERO)
    for start in range(0, len(payment_ids), 500):
        query = (select(Receivable.payment_id, Match.amount, StatementLine.amount, StatementLine.fee)
                 .join(Match, Match.receivable_id == Receivable.id)
                 .join(StatementLine, Match.line_id == StatementLine.id)
                 .where(Receivable.payment_id.in_(payment_ids[start:start + 500]), StatementLine.fee != 0))
        for payment_id, matched, line_amount, fee in db.session.execute(query):
            fees[payment_id] += Decimal(fee) * Decimal(matched) / Decimal(line_amount)
    return fees


def approve(actor, settlement):
    """A second person approves a payout waiting for approval."""
    _guard(actor, PAYOUT, "manage")
    if settlement.status != AWAITING_APPROVAL:
        raise FinanceError(_("Settlement %(number)s is not waiting for approval.", number=settlement.number))
    if settlement.created_by_id is not None and settlement.created_by_id == actor.id:
        raise FinanceError(_("You ran settlement %(number)s; a second person must approve its payout.",
                             number=settlement.number))
    settlement.status, settlement.approved_at, settlement.approved_by_id = APPROVED, utcnow(), actor.id
    audit("settlement_approved", actor, settlement.number, merchant_id=settlement.merchant_id,
          payout=str(settlement.payout), currency=settlement.currency)
    return settlement


def _guard(actor, resource, level):
    from portal import access
    if actor is not None:
        access.require(resource, level, actor)
        if actor.merchant_id is not None:
            raise access.AccessDenied(_("Settlement runs and approvals are done by the platform's finance staff."))


PAYOUT_COLUMNS = ("settlement", "merchant_code", "merchant_name", "period_start", "period_end", "currency",
                  "payout", "status")


def payout_rows(actor):
    """The payouts to make: settlements ready to pay or approved, with a
    positive payout, oldest period first; the export is audited."""
    _guard(actor, PAYOUT, "manage")
    query = (select(Settlement).where(Settlement.status.in_((READY, APPROVED)), Settlement.payout > 0)
             .order_by(Settlement.period_start, Settlement.id))
    settlements = db.session.execute(query).scalars().all()
    audit("payouts_exported", actor, "payouts", count=len(settlements),
          settlements=[s.number for s in settlements])
    return [(s.number, s.merchant.code, s.merchant.legal_name or s.merchant.name, s.period_start.isoformat(),
             s.period_end.isoformat(), s.currency, str(quantize(s.payout, s.currency)), s.status)
            for s in settlements]
