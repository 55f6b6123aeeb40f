"""Random sequences of every stock operation (hypothesis state machine). After
each step: no quantity negative, nothing locked, damaged or held beyond what is
on hand, every quantity equal to the sum of its ledger rows, locked equal to
the live reservations; a refused step changed nothing and a successful one
changed exactly what it says."""
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import select

from plugins.inventory import services as inv
from plugins.inventory.models import Stock
from tests.conftest import create_merchant
from tests.plugins.inventory.helpers import make_sku, make_warehouse

QTY = st.integers(min_value=1, max_value=6)
STATES = st.sampled_from(["sellable", "damaged", "quality_hold"])


def snapshot(db):
    rows = db.session.execute(select(Stock.sku_id, Stock.warehouse_id, Stock.on_hand, Stock.locked, Stock.damaged,
                                     Stock.quality_hold)).all()
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def delta(before, after, key):
    zero = (0, 0, 0, 0)
    return tuple(a - b for a, b in zip(after.get(key, zero), before.get(key, zero)))


@pytest.fixture()
def world(db):
    merchant = create_merchant()
    skus = [make_sku(db, merchant).id for _ in range(2)]
    warehouses = [make_warehouse(merchant.id, f"S{merchant.id}-{i}", ("CN",), priority=i).id for i in range(3)]
    return skus, warehouses


def test_random_operation_sequences_keep_the_invariants(db, world):
    skus, warehouses = world
    SKU, WH = st.sampled_from(skus), st.sampled_from(warehouses)

    class Stockroom(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.tx = db.session.begin_nested()
            self.live, self.orders = [], 0

        def teardown(self):
            self.tx.rollback()

        def attempt(self, operation, *args, **kwargs):
            """Run an operation; on a business error the stock must be unchanged."""
            before = snapshot(db)
            try:
                result = operation(*args, **kwargs)
            except inv.InventoryError:
                assert snapshot(db) == before
                return before, None, False
            return before, result, True

        @rule(sku=SKU, wh=WH, qty=QTY)
        def increase(self, sku, wh, qty):
            before, _, ok = self.attempt(inv.increase, None, sku, wh, qty, "GRN")
            assert ok and delta(before, snapshot(db), (sku, wh)) == (qty, 0, 0, 0)

        @rule(sku=SKU, wh=WH, counted=st.integers(min_value=0, max_value=12))
        def stocktake(self, sku, wh, counted):
            _, _, ok = self.attempt(inv.adjust, None, sku, wh, counted, "count")
            if ok:
                assert snapshot(db)[(sku, wh)][0] == counted

        @rule(sku=SKU, source=WH, dest=WH, qty=QTY)
        def transfer(self, sku, source, dest, qty):
            before, _, ok = self.attempt(inv.transfer, None, sku, source, dest, qty)
            if ok:
                after = snapshot(db)
                assert delta(before, after, (sku, source)) == (-qty, 0, 0, 0)
                assert delta(before, after, (sku, dest)) == (qty, 0, 0, 0)

        @rule(sku=SKU, wh=WH, qty=QTY)
        def lock(self, sku, wh, qty):
            before, held, ok = self.attempt(inv.lock, None, sku, wh, qty, "O")
            if ok:
                self.live.append(held.id)
                assert delta(before, snapshot(db), (sku, wh)) == (0, qty, 0, 0)

        @precondition(lambda self: self.live)
        @rule(data=st.data(), ship=st.booleans())
        def close(self, data, ship):
            lock_id = data.draw(st.sampled_from(self.live))
            _, held, ok = self.attempt(inv.deduct if ship else inv.release, None, lock_id)
            assert ok
            self.live.remove(lock_id)

        @rule(lines=st.lists(st.tuples(SKU, QTY), min_size=1, max_size=3))
        def allocate(self, lines):
            self.orders += 1
            numbered = [(str(i), sku, qty) for i, (sku, qty) in enumerate(lines)]
            before, locks, ok = self.attempt(inv.allocate, None, numbered, "CN", f"A{self.orders}")
            if ok:
                self.live.extend(lk.id for lk in locks)
                after = snapshot(db)
                locked = sum(after[k][1] - before.get(k, (0, 0))[1] for k in after)
                assert locked == sum(qty for _, qty in lines)

        @rule(sku=SKU, wh=WH, qty=QTY, to=st.sampled_from(["sellable", "damaged"]))
        def give_back(self, sku, wh, qty, to):
            _, _, ok = self.attempt(inv.return_goods, None, sku, wh, qty, to)
            assert ok

        @rule(sku=SKU, wh=WH, qty=QTY, source=STATES, dest=STATES)
        def move(self, sku, wh, qty, source, dest):
            before, _, ok = self.attempt(inv.move, None, sku, wh, qty, source, dest)
            if ok:
                assert delta(before, snapshot(db), (sku, wh))[0:2] == (0, 0)

        @rule(sku=SKU, wh=WH, qty=QTY, state=st.sampled_from(["damaged", "quality_hold"]))
        def write_off(self, sku, wh, qty, state):
            self.attempt(inv.write_off, None, sku, wh, qty, state)

        @rule(sku=SKU, safety=st.integers(min_value=0, max_value=5))
        def policy(self, sku, safety):
            inv.set_policy(None, sku, safety, 0)

        @invariant()
        def figures_add_up(self):
            for on_hand, locked, damaged, held in snapshot(db).values():
                assert min(on_hand, locked, damaged, held) >= 0
                assert locked + damaged + held <= on_hand
            assert inv.check_stock(skus) == []

        @invariant()
        def sellable_is_never_negative(self):
            assert all(v >= 0 for v in inv.sellable_many(skus).values())

    run_state_machine_as_test(Stockroom, settings=settings(
        max_examples=40, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))
