"""Proof that the stock adds up: every quantity equals the sum of its ledger
rows, nothing is negative, nothing is locked, damaged or held beyond what is on
hand, and the locked quantity equals the live reservations."""
from dataclasses import dataclass

from sqlalchemy import func, select

from portal.extensions import db

from ..models import LIVE, LOCKED, STATES, Stock, StockLedger, StockLock


@dataclass(frozen=True)
class Anomaly:
    """One thing that does not add up, with the figures that show it."""

    kind: str  # ledger, negative, over_committed, locks
    sku_id: int
    warehouse_id: int
    state: str
    quantity: int
    expected: int

    def __str__(self):
        return (f"SKU {self.sku_id} in warehouse {self.warehouse_id}: {self.state} is {self.quantity}, "
                f"{self.kind} says {self.expected}")


def check_stock(sku_ids=None):
    """Every ``Anomaly`` found (an empty list when the stock adds up);
    ``sku_ids`` limits the check."""
    ledger_q = select(StockLedger.sku_id, StockLedger.warehouse_id, StockLedger.state, func.sum(StockLedger.delta)) \
        .group_by(StockLedger.sku_id, StockLedger.warehouse_id, StockLedger.state)
    locks_q = select(StockLock.sku_id, StockLock.warehouse_id, func.sum(StockLock.qty)) \
        .where(StockLock.status == LIVE).group_by(StockLock.sku_id, StockLock.warehouse_id)
    stock_q = select(Stock)
    if sku_ids is not None:
        ledger_q = ledger_q.where(StockLedger.sku_id.in_(sku_ids))
        locks_q = locks_q.where(StockLock.sku_id.in_(sku_ids))
        stock_q = stock_q.where(Stock.sku_id.in_(sku_ids))
    sums = {(s, w, state): int(total) for s, w, state, total in db.session.execute(ledger_q)}
    live = {(s, w): int(total) for s, w, total in db.session.execute(locks_q)}
    found, seen = [], set()
    for stock in db.session.execute(stock_q.execution_options(populate_existing=True)).scalars():
        key = (stock.sku_id, stock.warehouse_id)
        seen.add(key)
        for state in STATES:
            value = getattr(stock, state)
            if value != sums.get(key + (state,), 0):
                found.append(Anomaly("ledger", *key, state, value, sums.get(key + (state,), 0)))
            if value < 0:
                found.append(Anomaly("negative", *key, state, value, 0))
        if stock.locked + stock.damaged + stock.quality_hold > stock.on_hand:
            found.append(Anomaly("over_committed", *key, "on_hand", stock.on_hand,
                                 stock.locked + stock.damaged + stock.quality_hold))
        if stock.locked != live.get(key, 0):
            found.append(Anomaly("locks", *key, LOCKED, stock.locked, live.get(key, 0)))
    for (s, w, state), total in sums.items():
        if (s, w) not in seen and total:
            found.append(Anomaly("ledger", s, w, state, 0, total))
    return found
