"""The orders' demo data (``flask portal demo``): orders of the demo
merchants' shoppers over the last 120 days, placed, paid, shipped, received,
cancelled, taken to after-sales (refund only, return and refund, exchange:
approved or rejected, returned, refunded or replaced) and closed through the
orders' own services at the times they happened, so their stock, payments
and history are what the portal would have recorded. Recent orders are still
waiting for payment, shipment or receipt, and recent cases for their next
step; older ones are closed.

Runs after the inventory's demo (orders require it); a seeded random generator
gives the same orders each time, and a second run adds nothing once demo
orders exist.
"""
import random
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select

from plugins.catalog.models import SHELF_ON, Product, Sku
from plugins.inventory.services import InsufficientStock, InventoryError
from portal.extensions import db
from portal.models import utcnow
from portal.money import quantize

from .models import (EXCHANGE, REFUND_ONLY, RESTOCK_DAMAGED, RESTOCK_SELLABLE, RETURN_REFUND, SHIPMENT_SHIPPED,
                     AfterSalesCase, Checkout)
from .services import OrdersError, after_sales, cancel, close, exchange, place, receive, record_payment, ship

SEED = 20261126
CHANNEL = "demo"
ORDERS = 2000
UNPAID = 8
TRIES = 5
DAYS = 120
CARRIERS = ("SF Express", "ZTO Express", "YTO Express", "JD Logistics", "EMS")
METHODS = ("alipay", "wechat_pay", "unionpay")
SHOPPERS = [
    ("Li Wei", "13800138001", "CN-SH", "Shanghai", "88 Nanjing West Road, Jing'an"),
    ("Wang Fang", "13800138002", "440100", "Guangzhou", "12 Tianhe Road, Tianhe"),  # a city's GB/T 2260 code
    ("Zhang Min", "13800138003", "CN-BJ", "Beijing", "3 Jianguomen Avenue, Dongcheng"),
    ("Chen Jing", "13800138004", "CN-ZJ", "Hangzhou", "21 Wensan Road, Xihu"),
    ("Liu Yang", "13800138005", "CN-JS", "Nanjing", "9 Zhongshan Road, Gulou"),
    ("赵丽", "13800138006", "CN-SD", "济南", "历下区泉城路 66 号"),
    ("孙强", "13800138007", "350200", "厦门", "思明区中山路 8 号"),
    ("周婷", "13800138008", "CN-SH", "上海", "浦东新区世纪大道 100 号"),
]


def load_demo(merchants, echo):
    """Place the demo orders of the demo ``merchants``; nothing when demo
    orders exist already."""
    if db.session.execute(select(Checkout.id).where(Checkout.channel == CHANNEL).limit(1)).first() is not None:
        echo("Orders: demo orders exist already; none were added.")
        return
    rng = random.Random(SEED)
    skus = {m.id: db.session.execute(
        select(Sku.id).join(Product, Product.id == Sku.product_id)
        .where(Sku.merchant_id == m.id, Sku.active.is_(True), Product.shelf_status == SHELF_ON)
        .order_by(Sku.id)).scalars().all() for m in merchants}
    skus = {m: ids for m, ids in skus.items() if ids}
    if not skus:
        echo("Orders: no SKU on the shelf; no demo orders.")
        return
    now = utcnow()
    placed = {}
    count = current_app.config.get("ORDERS_DEMO_ORDERS", ORDERS)  # fewer for the test suite
    for number in range(count):
        # older orders first, so the timeline is the one the services would have seen; more of
        # them lately (a growing shop), so the recent states have their share
        age = timedelta(days=DAYS) * (1 - number / count) ** 2 + timedelta(minutes=rng.randint(0, 600))
        if number >= count - UNPAID:
            age = timedelta(minutes=rng.randint(1, 15))  # just placed: still waiting for payment
        # a shopper whose basket the stock cannot serve picks other goods
        outcome = next(filter(None, (_play(rng, skus, number, now - age, now) for _try in range(TRIES))), None)
        if outcome:
            placed[outcome] = placed.get(outcome, 0) + 1
    db.session.flush()
    echo("Orders: " + ", ".join(f"{count} {state}" for state, count in sorted(placed.items())) + ".")


def _play(rng, skus, number, at, now):
    """Place one checkout at ``at`` and take its orders as far as their age
    allows; the state the first order ends in, or None when the stock could
    not serve it."""
    merchant_id = rng.choice(sorted(skus))
    chosen = rng.sample(skus[merchant_id], min(len(skus[merchant_id]), rng.randint(1, 3)))
    name, phone, region, city, address = rng.choice(SHOPPERS)
    buyer = {"name": name, "phone": phone, "region": region, "city": city, "address": address}
    lines = [{"sku_id": sku_id, "qty": rng.randint(1, 2)} for sku_id in chosen]
    try:
        with db.session.begin_nested():
            checkout = place(None, CHANNEL, buyer, lines, customer_ref=f"DEMO-{number:05d}", now=at)
    except (OrdersError, InsufficientStock):
        return None
    for order in checkout.orders:
        _advance(rng, order, at, now, number)
    return checkout.orders[0].state


def _advance(rng, order, at, now, number):
    age, roll = now - at, rng.random()
    if age < timedelta(minutes=20):
        return  # waiting for payment: recent enough that the unpaid timer has not cancelled it
    if roll < 0.08:
        cancel(None, order, note="Buyer changed their mind.", now=at + timedelta(minutes=10))
        return
    paid_at = at + timedelta(minutes=rng.randint(1, 15))
    record_payment(None, order, rng.choice(METHODS), order.total, order.currency,
                   provider_ref=f"DEMO-PAY-{number:05d}-{order.id}", now=paid_at)
    if order.total == 0 or age < timedelta(days=1) or roll < 0.12:
        return  # paid, waiting for shipment
    shipped_at = paid_at + timedelta(hours=rng.randint(2, 30))
    ship(None, order, rng.choice(CARRIERS), f"DEMO{order.id:08d}{rng.randint(10, 99)}", now=shipped_at)
    if age < timedelta(days=4) or roll < 0.2:
        return  # on its way
    received_at = shipped_at + timedelta(days=rng.randint(1, 3))
    receive(None, order, now=received_at)
    if roll < 0.3:
        _after_sales(order, received_at + timedelta(days=1), now)
        return
    deadline = order.after_sales_deadline
    if deadline is not None and deadline < now:
        close(None, order, now=deadline + timedelta(minutes=5))


# one kind after another, so even a short demo shows every kind of case
CASE_ORDER = (REFUND_ONLY, RETURN_REFUND, EXCHANGE)
CASE_NOTES = {"damaged": "The lid was cracked in the parcel.", "defective": "It stopped working after two days.",
              "wrong_item": "A different colour arrived.", "missing_parts": "The strainer was missing.",
              "not_as_described": "Smaller than the photos.", "changed_mind": "Bought a second one by mistake."}


def _after_sales(order, opened_at, now):
    """A case the buyer opened at ``opened_at``, taken through the steps whose
    day has come: approved two days later (one in six rejected), goods sent
    back and received, then refunded or replaced ten days after opening; a
    recent case is still on its way."""
    # its own generator: the orders that follow are the same whatever the case draws
    rng = random.Random(SEED + order.id)
    kind = CASE_ORDER[db.session.execute(select(func.count(AfterSalesCase.id))).scalar() % len(CASE_ORDER)]
    line = rng.choice(order.lines)
    reason = rng.choice(sorted(CASE_NOTES))
    amount = "" if kind == EXCHANGE else str(min(quantize(line.unit_price, order.currency),
                                                 after_sales.refundable(order)))
    if kind != EXCHANGE and Decimal(amount) <= 0:
        return
    try:
        with db.session.begin_nested():
            case = after_sales.open_case(None, order, kind, reason, CASE_NOTES[reason], [(line.id, 1)], amount,
                                         now=opened_at)
    except OrdersError:
        return
    steps = _case_steps(rng, order, case, kind, line)
    for days, step in steps:
        at = opened_at + timedelta(days=days, hours=rng.randint(0, 8))
        if at > now:
            return  # the case is still being handled
        try:
            with db.session.begin_nested():
                step(at)
        except (OrdersError, InventoryError):
            return  # e.g. no stock left for the replacement: the case waits for it


def _case_steps(rng, order, case, kind, line):
    """``[(days after opening, step(at))]`` of one case."""
    if rng.random() < 1 / 6:
        return [(2, lambda at: after_sales.reject(None, case, "Outside the conditions of the guarantee.", now=at))]
    steps = [(2, lambda at: after_sales.approve(None, case, now=at))]
    if kind != REFUND_ONLY:
        decision = RESTOCK_DAMAGED if case.reason in ("damaged", "defective") else RESTOCK_SELLABLE
        steps += [(4, lambda at: after_sales.record_return(None, case, rng.choice(CARRIERS),
                                                           f"DEMORET{case.id:07d}", now=at)),
                  (8, lambda at: after_sales.receive_return(None, case, {line.id: (1, decision)}, now=at))]
    if kind == EXCHANGE:
        warehouse = next(s.warehouse_id for s in order.shipments if s.status == SHIPMENT_SHIPPED)
        steps.append((10, lambda at: exchange.send_replacement(None, case, warehouse, rng.choice(CARRIERS),
                                                              f"DEMOEXC{case.id:07d}", now=at)))
    else:
        steps.append((10, lambda at: after_sales.refund(None, case, now=at)))
    return steps
