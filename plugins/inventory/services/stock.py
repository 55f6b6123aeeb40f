"""Warehouse-layer operations on stock: receive, count, transfer, return, move
between states, write off; each is all-or-nothing (a savepoint), writes its
ledger rows and an audit row, and raises a named error when refused."""
from flask_babel import gettext as _
from sqlalchemy import select

from plugins.catalog.models import Sku
from portal.extensions import db

from ..models import DAMAGED, ON_HAND, QUALITY_HOLD, SkuPolicy, Stock
from .core import audit, change, check_merchant, ensure_row, guard, ledger, positive, refuse
from .errors import CountBelowCommitted, InvalidQuantity, InvalidState, UnknownSku, UnknownWarehouse
from .lowstock import operation, publish_if_crossed
from .sales import sellable

SELLABLE = "sellable"
MOVABLE = (SELLABLE, DAMAGED, QUALITY_HOLD)


def _apply(actor, sku_id, warehouse_id, deltas, reason, document="", note="", need_state="available",
           lock_id=None):
    """Ensure the row, apply the deltas or raise why not, write the ledger; the
    stock row's merchant id."""
    row = ensure_row(sku_id, warehouse_id)
    check_merchant(actor, row.merchant_id, sku_id)
    if not change(sku_id, warehouse_id, deltas):
        refuse(sku_id, warehouse_id, max(abs(d) for d in deltas.values()), need_state)
    ledger(sku_id, warehouse_id, row.merchant_id, deltas, reason, actor, document, note, lock_id)
    return row.merchant_id


def increase(actor, sku_id, warehouse_id, qty, document):
    """Goods received into a warehouse under ``document`` (a delivery note)."""
    guard(actor, "inventory.adjust", "write")
    qty = positive(qty)
    document = (document or "").strip()
    if not document:
        raise InvalidQuantity("document", document)
    with operation():
        merchant_id = _apply(actor, sku_id, warehouse_id, {ON_HAND: qty}, "receipt", document)
        audit("increase", actor, merchant_id, f"sku {sku_id} @ {warehouse_id}", qty=qty, document=document)


def adjust(actor, sku_id, warehouse_id, counted, reason):
    """A stocktake: set on-hand to ``counted``; the difference goes to the ledger
    with ``reason``. Refused below what is locked, damaged or held."""
    guard(actor, "inventory.adjust", "write")
    try:
        counted = int(str(counted).strip())
    except (TypeError, ValueError):
        raise InvalidQuantity("counted", counted) from None
    if counted < 0:
        raise InvalidQuantity("counted", counted)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidQuantity("reason", reason)
    with operation():
        row = ensure_row(sku_id, warehouse_id)
        check_merchant(actor, row.merchant_id, sku_id)
        current = db.session.execute(select(Stock).where(Stock.id == row.id).with_for_update()
                                     .execution_options(populate_existing=True)).scalar_one()
        delta = counted - current.on_hand
        committed = current.locked + current.damaged + current.quality_hold
        if counted < committed or (delta and not change(sku_id, warehouse_id, {ON_HAND: delta})):
            raise CountBelowCommitted(sku_id, warehouse_id, counted, committed)
        ledger(sku_id, warehouse_id, row.merchant_id, {ON_HAND: delta}, "stocktake", actor, note=reason)
        audit("adjust", actor, row.merchant_id, f"sku {sku_id} @ {warehouse_id}", counted=counted,
              delta=delta, reason=reason)
    return delta


def transfer(actor, sku_id, from_warehouse_id, to_warehouse_id, qty, document=""):
    """Move available units between warehouses; rows are changed in warehouse-id
    order so two opposite transfers cannot deadlock."""
    guard(actor, "inventory.adjust", "write")
    qty = positive(qty)
    if from_warehouse_id == to_warehouse_id:
        raise UnknownWarehouse(to_warehouse_id, _("it is the warehouse the goods come from"))
    with operation():
        merchant_id = None
        for warehouse_id in sorted((from_warehouse_id, to_warehouse_id)):
            delta = -qty if warehouse_id == from_warehouse_id else qty
            merchant_id = _apply(actor, sku_id, warehouse_id, {ON_HAND: delta}, "transfer", document or "",
                                 note=f"{from_warehouse_id} -> {to_warehouse_id}")
        audit("transfer", actor, merchant_id, f"sku {sku_id}", qty=qty, source=from_warehouse_id,
              destination=to_warehouse_id, document=document or "")


def return_goods(actor, sku_id, warehouse_id, qty, to=SELLABLE, document=""):
    """Goods back from a customer: sellable again, or damaged."""
    guard(actor, "inventory.adjust", "write")
    qty = positive(qty)
    if to not in (SELLABLE, DAMAGED):
        raise InvalidState(to)
    deltas = {ON_HAND: qty, DAMAGED: qty} if to == DAMAGED else {ON_HAND: qty}
    with operation():
        merchant_id = _apply(actor, sku_id, warehouse_id, deltas, "return", document or "")
        audit("return", actor, merchant_id, f"sku {sku_id} @ {warehouse_id}", qty=qty, to=to,
              document=document or "")


def move(actor, sku_id, warehouse_id, qty, from_state, to_state, note=""):
    """Move units between sellable, damaged and quality hold."""
    guard(actor, "inventory.adjust", "write")
    qty = positive(qty)
    for state in (from_state, to_state):
        if state not in MOVABLE:
            raise InvalidState(state)
    if from_state == to_state:
        raise InvalidState(to_state)
    deltas = {s: d for s, d in ((from_state, -qty), (to_state, qty)) if s != SELLABLE}
    with operation():
        need = "available" if from_state == SELLABLE else from_state
        merchant_id = _apply(actor, sku_id, warehouse_id, deltas, "move", note=note or f"{from_state} -> {to_state}",
                             need_state=need)
        audit("move", actor, merchant_id, f"sku {sku_id} @ {warehouse_id}", qty=qty, source=from_state,
              destination=to_state, note=note)


def write_off(actor, sku_id, warehouse_id, qty, state=DAMAGED, note=""):
    """Damaged or held goods destroyed or sent back to the supplier: they leave
    on-hand with their state."""
    guard(actor, "inventory.adjust", "write")
    qty = positive(qty)
    if state not in (DAMAGED, QUALITY_HOLD):
        raise InvalidState(state)
    with operation():
        merchant_id = _apply(actor, sku_id, warehouse_id, {ON_HAND: -qty, state: -qty}, "write_off", note=note,
                             need_state=state)
        audit("write_off", actor, merchant_id, f"sku {sku_id} @ {warehouse_id}", qty=qty, state=state, note=note)


def set_policy(actor, sku_id, safety_stock=0, low_stock_threshold=0):
    """Set a SKU's safety stock and low-stock threshold (whole numbers, at least zero)."""
    guard(actor, "inventory.adjust", "write")
    values = {}
    for field, raw in (("safety_stock", safety_stock), ("low_stock_threshold", low_stock_threshold)):
        try:
            values[field] = int(str(raw).strip())
        except (TypeError, ValueError):
            raise InvalidQuantity(field, raw) from None
        if values[field] < 0:
            raise InvalidQuantity(field, raw)
    sku = db.session.get(Sku, sku_id)
    if sku is None:
        raise UnknownSku(sku_id)
    check_merchant(actor, sku.merchant_id, sku_id)
    with db.session.begin_nested():
        policy = db.session.get(SkuPolicy, sku_id) or SkuPolicy(sku_id=sku_id, merchant_id=sku.merchant_id)
        before = (sellable(sku_id), policy.low_stock_threshold or 0)
        policy.safety_stock, policy.low_stock_threshold = values["safety_stock"], values["low_stock_threshold"]
        db.session.add(policy)
        db.session.flush()
        publish_if_crossed(sku.merchant_id, sku_id, before, (sellable(sku_id), policy.low_stock_threshold))
        audit("policy", actor, sku.merchant_id, f"sku {sku_id}", **values)
    return policy
