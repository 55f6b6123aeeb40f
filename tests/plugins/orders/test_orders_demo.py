"""The demo orders: placed by ``flask portal demo`` after the demo stock,
through the orders' services at the times they happened, in every state; the
stock they reserved and shipped adds up, and a second run adds nothing."""
from decimal import Decimal

from sqlalchemy import func, select

from plugins.inventory.models import LIVE, StockLock
from plugins.inventory.services import check_stock
from plugins.orders.models import STATES, AfterSalesCase, Order, OrderHistory, Payment, Shipment
from portal import demo as portal_demo
from portal.models import utcnow


def test_the_demo_orders(db):
    lines = []
    assert portal_demo.load_demo(echo=lines.append)
    summary = next(line for line in lines if line.startswith("Orders:"))
    assert lines.index(summary) > next(i for i, line in enumerate(lines) if line.startswith("Inventory:"))

    states = dict(db.session.execute(select(Order.state, func.count()).group_by(Order.state)).all())
    assert set(states) == set(STATES), states
    placed = db.session.execute(select(func.min(Order.placed_at), func.max(Order.placed_at))).one()
    assert (utcnow() - placed[0]).days >= 100 and (utcnow() - placed[1]).days < 1
    # every paid order's payments (refunds aside) cover its total, and each order has its history from placement on
    for order in db.session.execute(select(Order).where(Order.paid_at.is_not(None))).scalars():
        paid = sum(db.session.execute(select(Payment.amount).where(Payment.order_id == order.id,
                                                                   Payment.kind != "refund")).scalars(), Decimal(0))
        assert paid == order.total or order.state == "cancelled", order.number
    first_moves = db.session.execute(select(func.count()).select_from(OrderHistory)
                                     .where(OrderHistory.from_state.is_(None))).scalar()
    assert first_moves == sum(states.values())
    # unpaid and unshipped orders hold stock; the stock check finds nothing wrong
    assert db.session.execute(select(func.count()).select_from(StockLock).where(StockLock.status == LIVE)).scalar()
    assert check_stock() == []

    before = sum(states.values())
    portal_demo.load_demo(echo=lines.append)
    assert db.session.execute(select(func.count()).select_from(Order)).scalar() == before


def test_the_demo_orders_include_after_sales_cases(db):
    portal_demo.load_demo(echo=lambda line: None)
    cases = db.session.execute(select(AfterSalesCase.kind, AfterSalesCase.status)).all()
    assert {kind for kind, _status in cases} == {"refund_only", "return_refund", "exchange"}, cases
    assert len({status for _kind, status in cases}) >= 3, cases
    # a finished exchange sent its replacement from stock; a refund paid money back
    exchanged = db.session.execute(select(AfterSalesCase.id).where(AfterSalesCase.status == "exchanged")).scalars()
    for case_id in exchanged:
        assert db.session.execute(select(Shipment.id).where(Shipment.case_id == case_id)).scalar_one()
    refunded = db.session.execute(select(AfterSalesCase).where(AfterSalesCase.status == "refunded")).scalars().all()
    for case in refunded:
        assert db.session.execute(select(func.sum(Payment.amount)).where(
            Payment.order_id == case.order_id, Payment.kind == "refund")).scalar() == -case.approved_amount
    assert check_stock() == []
