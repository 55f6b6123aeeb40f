"""The primitives every stock operation is built from.

``change()`` is one conditional UPDATE whose WHERE clause states what must
still hold after the change (no quantity negative, nothing locked, damaged or
held beyond what is on hand); a rowcount of 0 means it would not, and nothing
was written. Under concurrency that single statement is the arbiter, so two
processes can never both take the last unit.

On SQLite a transaction that has read cannot start writing once another
connection has written (SQLITE_BUSY, whatever the timeout), so each operation
begins with a write (``ensure_row`` or ``change``) and only reads after it.
"""
from flask_babel import gettext as _
from collections import namedtuple

from sqlalchemy import Integer, and_, bindparam, insert, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite

from plugins.catalog.models import Sku
from portal import settings
from portal.access import require
from portal.audit import record
from portal.extensions import db
from portal.models import utcnow

from ..models import DAMAGED, LOCKED, ON_HAND, QUALITY_HOLD, STATES, SkuPolicy, Stock, StockLedger, Warehouse
from .errors import InsufficientStock, InvalidQuantity, UnknownSku, UnknownWarehouse
from .lowstock import note


def positive(value, field="quantity"):
    """``value`` as an int above zero, or ``InvalidQuantity`` naming ``field``."""
    if isinstance(value, bool):
        raise InvalidQuantity(field, value)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidQuantity(field, value) from None
    if number <= 0:
        raise InvalidQuantity(field, value)
    return number


def guard(actor, resource, level):
    """Check the acting user's level; ``None`` is the system (jobs, other plugins' events)."""
    if actor is not None:
        require(resource, level, actor)


def _insert():
    return postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert


def ensure_row(sku_id, warehouse_id):
    """Create the stock row of a SKU in a warehouse when missing; a write, so it
    may open an operation. The warehouse must be active and platform-run or the
    SKU's merchant's; otherwise ``UnknownSku`` / ``UnknownWarehouse``."""
    source = (select(Sku.id, literal(warehouse_id), Sku.merchant_id, literal(utcnow()))
              .join(Warehouse, Warehouse.id == warehouse_id)
              .where(Sku.id == sku_id, Warehouse.active.is_(True),
                     (Warehouse.merchant_id.is_(None)) | (Warehouse.merchant_id == Sku.merchant_id)))
    statement = _insert()(Stock).from_select(["sku_id", "warehouse_id", "merchant_id", "updated_at"], source)
    db.session.execute(statement.on_conflict_do_nothing(index_elements=["sku_id", "warehouse_id"]))
    row = stock_row(sku_id, warehouse_id)
    if row is None:
        explain_missing(sku_id, warehouse_id)
    return row


def stock_row(sku_id, warehouse_id):
    """The current ``(id, merchant_id, on_hand, locked, damaged, quality_hold)`` or None."""
    return db.session.execute(
        select(Stock.id, Stock.merchant_id, Stock.on_hand, Stock.locked, Stock.damaged, Stock.quality_hold)
        .where(Stock.sku_id == sku_id, Stock.warehouse_id == warehouse_id)).one_or_none()


def explain_missing(sku_id, warehouse_id):
    """Raise the error that says why there is no usable stock row."""
    sku = db.session.get(Sku, sku_id)
    if sku is None:
        raise UnknownSku(sku_id)
    warehouse = db.session.get(Warehouse, warehouse_id)
    if warehouse is None:
        raise UnknownWarehouse(warehouse_id, _("it does not exist"))
    if not warehouse.active:
        raise UnknownWarehouse(warehouse_id, _("it is inactive"))
    if warehouse.merchant_id is not None and warehouse.merchant_id != sku.merchant_id:
        raise UnknownWarehouse(warehouse_id, _("it belongs to another merchant"))
    raise InsufficientStock(sku_id, 0, 0, warehouse_id)


Changed = namedtuple("Changed", "merchant_id threshold setting")
_CHANGES = {}  # compiled once per shape: building the statement costs more than running it


def _change_statement(signs, free_check, for_merchant, active_only, setting):
    key = (signs, free_check, for_merchant, active_only, setting)
    statement = _CHANGES.get(key)
    if statement is not None:
        return statement
    cols = {state: getattr(Stock, state) for state in STATES}
    after = {state: cols[state] + (bindparam(f"d_{state}", type_=Integer) if state in dict(signs) else 0)
             for state in STATES}
    conditions = [Stock.sku_id == bindparam("sku"), Stock.warehouse_id == bindparam("warehouse")]
    conditions += [after[state] >= 0 for state, sign in signs if sign < 0]
    if free_check:
        conditions.append(after[ON_HAND] - after[LOCKED] - after[DAMAGED] - after[QUALITY_HOLD] >= 0)
    if for_merchant:
        conditions.append(Stock.merchant_id == bindparam("merchant"))
    if active_only:
        conditions.append(Stock.warehouse_id.in_(select(Warehouse.id).where(Warehouse.active.is_(True))))
    values = {state: after[state] for state, _sign in signs}
    values["updated_at"] = bindparam("now")
    # the SKU's low-stock threshold comes back with the row, so an operation
    # learns whether to watch for StockLow without another query
    threshold = (select(SkuPolicy.low_stock_threshold).where(SkuPolicy.sku_id == Stock.sku_id)
                 .scalar_subquery())
    stored = settings.platform_value_column(setting) if setting else literal(None)
    statement = _CHANGES[key] = (update(Stock).where(and_(*conditions)).values(**values)
                                 .returning(Stock.merchant_id, threshold.label("threshold"), stored.label("setting")))
    return statement


def change(sku_id, warehouse_id, deltas, merchant_id=None, active_only=False, setting=None):
    """Apply ``{state: delta}`` atomically if every quantity stays at least zero
    and ``locked + damaged + quality_hold`` stays within ``on_hand`` (and, when
    given, the row is ``merchant_id``'s and its warehouse active); a
    ``Changed(merchant_id, threshold, setting)`` when applied, else None, where
    ``setting`` is the value of the platform-wide setting named by ``setting``.
    Nothing is read first."""
    deltas = {state: int(delta) for state, delta in deltas.items() if delta}
    signs = tuple((state, 1 if deltas[state] > 0 else -1) for state in STATES if state in deltas)
    free_delta = deltas.get(ON_HAND, 0) - deltas.get(LOCKED, 0) - deltas.get(DAMAGED, 0) \
        - deltas.get(QUALITY_HOLD, 0)
    statement = _change_statement(signs, free_delta < 0 or deltas.get(ON_HAND, 0) < 0, merchant_id is not None,
                                  active_only, setting)
    params = {f"d_{state}": delta for state, delta in deltas.items()}
    params.update(sku=sku_id, warehouse=warehouse_id, merchant=merchant_id, now=utcnow())
    # the statement goes to the connection (the ORM's execute costs as much
    # again), so pending ORM changes it may depend on are flushed by hand;
    # a no-op when there are none
    db.session.flush()
    row = db.session.connection().execute(statement, params).first()
    if row is None:
        return None
    changed = Changed(row[0], row[1] or 0, settings.from_platform_value(setting, row[2]) if setting else None)
    note(sku_id, warehouse_id, free_delta, changed.threshold > 0)  # for the operation's StockLow
    return changed


def ledger(sku_id, warehouse_id, merchant_id, deltas, reason, actor, document="", note="", lock_id=None):
    """One append-only ledger row per non-zero delta (written at once, as the
    table's rows: nothing reads them back in the operation)."""
    now, user_id = utcnow(), getattr(actor, "id", None)
    rows = [{"sku_id": sku_id, "warehouse_id": warehouse_id, "merchant_id": merchant_id, "state": state,
             "delta": deltas[state], "reason": reason, "document": document[:64], "note": note[:500],
             "lock_id": lock_id, "user_id": user_id, "created_at": now}
            for state in STATES if deltas.get(state, 0)]
    if rows:
        db.session.connection().execute(insert(StockLedger.__table__), rows)


def audit(action, actor, merchant_id, target, **summary):
    """The audit row of an inventory operation."""
    record(f"inventory.{action}", target=target, summary=summary, plugin="inventory",
           merchant_id=merchant_id, actor=actor)


def check_merchant(actor, merchant_id, sku_id):
    """Merchant staff reach only their own merchant's SKUs: others do not exist for them."""
    if actor is not None and actor.merchant_id is not None and actor.merchant_id != merchant_id:
        raise UnknownSku(sku_id)


def require_active(warehouse_id):
    """``UnknownWarehouse`` unless the warehouse exists and is active."""
    if not db.session.execute(select(Warehouse.active).where(Warehouse.id == warehouse_id)).scalar():
        raise UnknownWarehouse(warehouse_id, _("it is inactive"))


def refuse(sku_id, warehouse_id, needed, state="available", actor=None):
    """Raise why a ``change`` was not applied: the SKU or warehouse unknown to
    ``actor``, the warehouse inactive, else ``InsufficientStock`` with what is
    there now."""
    row = stock_row(sku_id, warehouse_id)
    if row is None:
        explain_missing(sku_id, warehouse_id)
    check_merchant(actor, row.merchant_id, sku_id)
    require_active(warehouse_id)
    there = {"available": row.on_hand - row.locked - row.damaged - row.quality_hold,
             "sellable": row.on_hand - row.locked - row.damaged - row.quality_hold,
             ON_HAND: row.on_hand, LOCKED: row.locked, DAMAGED: row.damaged, QUALITY_HOLD: row.quality_hold}
    raise InsufficientStock(sku_id, needed, there[state], warehouse_id, state)
