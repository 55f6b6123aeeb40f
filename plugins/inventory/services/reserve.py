"""The writes of one reservation, on the session's connection.

A reservation is taken for every order line, so its writes skip the ORM unit
of work: the conditional UPDATE of ``core.change`` (the arbiter under
concurrency), the reservation row and its ledger row go to the session's
connection as statements compiled once (see ``prepared``), inside the
caller's transaction.

On PostgreSQL the three are one statement (the UPDATE's RETURNING feeds the
reservation INSERT, whose RETURNING feeds the ledger INSERT): one round trip.
When the UPDATE matches nothing neither INSERT sees a row, so a refusal has
written nothing. SQLite has no data-modifying CTE, so there they are three
statements on one connection.
"""
from collections import namedtuple
from datetime import timedelta

from sqlalchemy import DateTime, Integer, bindparam, cast, func, insert, literal, select, true

from portal import settings
from portal.extensions import db
from portal.models import utcnow

from ..models import LIVE, LOCKED, StockLedger, StockLock
from .core import _change_statement
from .prepared import Prepared

LOCK_MINUTES = "inventory.lock_minutes"  # platform-wide: the UPDATE brings it back
SIGNS = ((LOCKED, 1),)

Reserved = namedtuple("Reserved", "lock_id merchant_id threshold expires_at now")

_lock_table, _ledger_table = StockLock.__table__, StockLedger.__table__
_LOCK_ROW = Prepared(insert(_lock_table).values({c: bindparam(c, type_=_lock_table.c[c].type) for c in (
    "sku_id", "warehouse_id", "merchant_id", "qty", "order_ref", "line_ref", "status", "expires_at", "created_at",
    "closed_at")}).returning(_lock_table.c.id))
_LEDGER_ROW = Prepared(insert(_ledger_table).values({c: bindparam(c, type_=_ledger_table.c[c].type) for c in (
    "sku_id", "warehouse_id", "merchant_id", "state", "delta", "reason", "document", "note", "lock_id", "user_id",
    "created_at")}))
_PREPARED = {}


def reserve(sku_id, warehouse_id, qty, merchant_id, order_ref, line_ref, expires_at, user_id):
    """Lock ``qty`` units and write the reservation and its ledger row; a
    ``Reserved`` or, when the units are not available (or the row is not
    ``merchant_id``'s, when given, or its warehouse inactive), None and
    nothing written."""
    # pending ORM changes the statements may depend on (a no-op when none)
    db.session.flush()
    conn = db.session.connection()
    params = {"d_locked": qty, "sku": sku_id, "warehouse": warehouse_id, "merchant": merchant_id,
              "now": utcnow(), "order_ref": str(order_ref)[:64], "line_ref": str(line_ref)[:64],
              "expires_at": expires_at, "user_id": user_id}
    if conn.dialect.name == "postgresql":
        return _in_one_statement(conn, params)
    return _in_three_statements(conn, params)


def _in_three_statements(conn, params):
    for_merchant, setting = params["merchant"] is not None, None if params["expires_at"] else LOCK_MINUTES
    rows = _prepared(("update", for_merchant, setting),
                     lambda: _change_statement(SIGNS, True, for_merchant, True, setting)).run(conn, params)
    if not rows:
        return None
    merchant_id, threshold, stored = rows[0]
    now, expires_at = params["now"], params["expires_at"]
    if expires_at is None:
        expires_at = now + timedelta(minutes=settings.from_platform_value(LOCK_MINUTES, stored))
    lock_id = _LOCK_ROW.run(conn, {
        "sku_id": params["sku"], "warehouse_id": params["warehouse"], "merchant_id": merchant_id,
        "qty": params["d_locked"], "order_ref": params["order_ref"], "line_ref": params["line_ref"],
        "status": LIVE, "expires_at": expires_at, "created_at": now, "closed_at": None})[0][0]
    _LEDGER_ROW.run(conn, {
        "sku_id": params["sku"], "warehouse_id": params["warehouse"], "merchant_id": merchant_id,
        "state": LOCKED, "delta": params["d_locked"], "reason": "lock", "document": params["order_ref"],
        "note": "", "lock_id": lock_id, "user_id": params["user_id"], "created_at": now})
    return Reserved(lock_id, merchant_id, threshold or 0, expires_at, now)


def _in_one_statement(conn, params):
    for_merchant, expiry_given = params["merchant"] is not None, params["expires_at"] is not None
    if not expiry_given:
        params["default_minutes"] = settings.from_platform_value(LOCK_MINUTES, None)
    rows = _prepared(("one", for_merchant, expiry_given),
                     lambda: _one_statement(for_merchant, expiry_given)).run(conn, params)
    if not rows:
        return None
    lock_id, merchant_id, expires_at, threshold = rows[0]
    return Reserved(lock_id, merchant_id, threshold or 0, expires_at, params["now"])


def _prepared(key, build):
    prepared = _PREPARED.get(key)
    if prepared is None:
        prepared = _PREPARED[key] = Prepared(build())
    return prepared


def _one_statement(for_merchant, expiry_given):
    """``WITH changed AS (UPDATE ... RETURNING), held AS (INSERT reservation
    ... RETURNING), INSERT ledger row ... SELECT`` the reservation."""
    changed = _change_statement(SIGNS, True, for_merchant, True, None if expiry_given else LOCK_MINUTES).cte("changed")
    now = bindparam("now", type_=DateTime)
    if expiry_given:
        expires = bindparam("expires_at", type_=DateTime)
    else:
        # the stored value is the setting's JSON: an integer's reads as one
        minutes = func.coalesce(cast(changed.c.setting, Integer), bindparam("default_minutes", type_=Integer))
        expires = now + func.make_interval(0, 0, 0, 0, 0, minutes)
    qty, sku, warehouse = (bindparam("d_locked", type_=Integer), bindparam("sku", type_=Integer),
                           bindparam("warehouse", type_=Integer))
    held = insert(_lock_table).from_select(
        ["sku_id", "warehouse_id", "merchant_id", "qty", "order_ref", "line_ref", "status", "expires_at",
         "created_at"],
        select(sku, warehouse, changed.c.merchant_id, qty, bindparam("order_ref"), bindparam("line_ref"),
               literal(LIVE), expires, now)
    ).returning(_lock_table.c.id, _lock_table.c.merchant_id, _lock_table.c.expires_at).cte("held")
    ledger_row = insert(_ledger_table).from_select(
        ["sku_id", "warehouse_id", "merchant_id", "state", "delta", "reason", "document", "note", "lock_id",
         "user_id", "created_at"],
        select(sku, warehouse, held.c.merchant_id, literal(LOCKED), qty, literal("lock"), bindparam("order_ref"),
               literal(""), held.c.id, bindparam("user_id", type_=Integer), now)
    ).cte("ledger_row")
    # one row each: the join is the pair
    statement = (select(held.c.id, held.c.merchant_id, held.c.expires_at, changed.c.threshold)
                                       .select_from(held.join(changed, true())).add_cte(ledger_row))
    return statement
