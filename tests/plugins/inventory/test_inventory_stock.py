"""Warehouse-layer operations: each changes the right quantities, writes its
ledger and audit rows, and is refused with a named error that writes nothing."""
import pytest
from sqlalchemy import select

from plugins.inventory.models import Stock, StockLedger
from plugins.inventory.services import (CountBelowCommitted, InsufficientStock, InvalidQuantity, InvalidState,
                                        UnknownSku, UnknownWarehouse, adjust, check_stock, increase, lock, move,
                                        return_goods, set_policy, transfer, write_off)
from portal.access import AccessDenied
from tests.conftest import create_user

from tests.plugins.inventory.helpers import audit_actions, ledger_count


def stock(db, sku, warehouse):
    row = db.session.execute(select(Stock).where(Stock.sku_id == sku.id, Stock.warehouse_id == warehouse.id)
                             .execution_options(populate_existing=True)).scalar_one_or_none()
    return None if row is None else (row.on_hand, row.locked, row.damaged, row.quality_hold)


def test_increase_receives_goods_with_its_document(db, shop):
    increase(None, shop.a.id, shop.sh.id, 10, "GRN-1")
    increase(None, shop.a.id, shop.sh.id, 5, "GRN-2")
    assert stock(db, shop.a, shop.sh) == (15, 0, 0, 0)
    rows = db.session.execute(select(StockLedger).order_by(StockLedger.id)).scalars().all()
    assert [(r.state, r.delta, r.reason, r.document) for r in rows] == [
        ("on_hand", 10, "receipt", "GRN-1"), ("on_hand", 5, "receipt", "GRN-2")]
    assert audit_actions(db).count("inventory.increase") == 2
    assert check_stock() == []


@pytest.mark.parametrize("qty", [0, -1, "two", None, True, "1.5"])
def test_increase_refuses_a_quantity_that_is_not_a_positive_whole_number(db, shop, qty):
    with pytest.raises(InvalidQuantity):
        increase(None, shop.a.id, shop.sh.id, qty, "GRN-1")
    assert ledger_count(db) == 0


def test_increase_needs_a_document(db, shop):
    with pytest.raises(InvalidQuantity, match="document"):
        increase(None, shop.a.id, shop.sh.id, 1, " ")


def test_increase_into_a_missing_inactive_or_foreign_warehouse_is_refused(db, shop):
    with pytest.raises(UnknownWarehouse, match="does not exist"):
        increase(None, shop.a.id, 999999, 1, "GRN")
    with pytest.raises(UnknownWarehouse, match="another merchant"):
        increase(None, shop.a.id, shop.far.id, 1, "GRN")
    shop.gz.active = False
    db.session.flush()
    with pytest.raises(UnknownWarehouse, match="inactive"):
        increase(None, shop.a.id, shop.gz.id, 1, "GRN")
    with pytest.raises(UnknownSku):
        increase(None, 999999, shop.sh.id, 1, "GRN")
    assert ledger_count(db) == 0 and stock(db, shop.a, shop.far) is None


def test_platform_warehouse_holds_any_merchants_goods(db, shop):
    increase(None, shop.a.id, shop.hub.id, 3, "GRN")
    increase(None, shop.x.id, shop.hub.id, 4, "GRN")
    assert stock(db, shop.a, shop.hub)[0] == 3 and stock(db, shop.x, shop.hub)[0] == 4


def test_merchant_staff_change_only_their_merchants_stock(db, shop):
    staff = create_user("merchant_staff", shop.m)
    increase(staff, shop.a.id, shop.hub.id, 2, "GRN")
    with pytest.raises(UnknownSku):
        increase(staff, shop.x.id, shop.hub.id, 2, "GRN")
    assert stock(db, shop.x, shop.hub) is None
    finance = create_user("finance")
    with pytest.raises(AccessDenied):
        increase(finance, shop.a.id, shop.sh.id, 1, "GRN")


def test_stocktake_sets_the_count_and_records_the_difference(db, shop):
    increase(None, shop.a.id, shop.sh.id, 10, "GRN")
    assert adjust(None, shop.a.id, shop.sh.id, 7, "cycle count") == -3
    assert adjust(None, shop.a.id, shop.sh.id, 9, "found 2 behind the shelf") == 2
    assert stock(db, shop.a, shop.sh) == (9, 0, 0, 0)
    last = db.session.execute(select(StockLedger).order_by(StockLedger.id.desc()).limit(1)).scalar()
    assert (last.delta, last.reason, last.note) == (2, "stocktake", "found 2 behind the shelf")
    assert check_stock() == []


def test_stocktake_below_what_is_locked_or_damaged_is_refused(db, shop):
    increase(None, shop.a.id, shop.sh.id, 10, "GRN")
    lock(None, shop.a.id, shop.sh.id, 4, "O1")
    move(None, shop.a.id, shop.sh.id, 2, "sellable", "damaged")
    before = ledger_count(db)
    with pytest.raises(CountBelowCommitted) as err:
        adjust(None, shop.a.id, shop.sh.id, 5, "count")
    assert err.value.committed == 6
    with pytest.raises(InvalidQuantity):
        adjust(None, shop.a.id, shop.sh.id, -1, "count")
    with pytest.raises(InvalidQuantity, match="reason"):
        adjust(None, shop.a.id, shop.sh.id, 8, "")
    assert stock(db, shop.a, shop.sh) == (10, 4, 2, 0) and ledger_count(db) == before
    adjust(None, shop.a.id, shop.sh.id, 6, "count")
    assert stock(db, shop.a, shop.sh) == (6, 4, 2, 0)


def test_transfer_moves_available_units(db, shop):
    increase(None, shop.a.id, shop.gz.id, 10, "GRN")
    lock(None, shop.a.id, shop.gz.id, 6, "O1")
    transfer(None, shop.a.id, shop.gz.id, shop.sh.id, 4, "TR-1")
    assert stock(db, shop.a, shop.gz) == (6, 6, 0, 0)
    assert stock(db, shop.a, shop.sh) == (4, 0, 0, 0)
    with pytest.raises(InsufficientStock) as err:
        transfer(None, shop.a.id, shop.gz.id, shop.sh.id, 1)
    assert (err.value.requested, err.value.available, err.value.warehouse_id) == (1, 0, shop.gz.id)
    with pytest.raises(UnknownWarehouse):
        transfer(None, shop.a.id, shop.sh.id, shop.sh.id, 1)
    with pytest.raises(UnknownWarehouse):
        transfer(None, shop.a.id, shop.sh.id, shop.far.id, 1)
    assert stock(db, shop.a, shop.sh) == (4, 0, 0, 0) and stock(db, shop.a, shop.far) is None
    assert "inventory.transfer" in audit_actions(db)
    assert check_stock() == []


def test_return_to_sellable_or_damaged(db, shop):
    return_goods(None, shop.a.id, shop.sh.id, 2, "sellable", "RMA-1")
    return_goods(None, shop.a.id, shop.sh.id, 3, "damaged", "RMA-2")
    assert stock(db, shop.a, shop.sh) == (5, 0, 3, 0)
    with pytest.raises(InvalidState):
        return_goods(None, shop.a.id, shop.sh.id, 1, "lost")
    assert check_stock() == []


def test_move_between_sellable_damaged_and_quality_hold(db, shop):
    increase(None, shop.a.id, shop.sh.id, 10, "GRN")
    move(None, shop.a.id, shop.sh.id, 4, "sellable", "quality_hold")
    move(None, shop.a.id, shop.sh.id, 1, "quality_hold", "damaged")
    move(None, shop.a.id, shop.sh.id, 2, "quality_hold", "sellable")
    assert stock(db, shop.a, shop.sh) == (10, 0, 1, 1)
    with pytest.raises(InsufficientStock) as err:
        move(None, shop.a.id, shop.sh.id, 2, "damaged", "sellable")
    assert (err.value.state, err.value.available) == ("damaged", 1)
    with pytest.raises(InsufficientStock):
        move(None, shop.a.id, shop.sh.id, 9, "sellable", "damaged")
    with pytest.raises(InvalidState):
        move(None, shop.a.id, shop.sh.id, 1, "damaged", "damaged")
    with pytest.raises(InvalidState):
        move(None, shop.a.id, shop.sh.id, 1, "locked", "damaged")
    assert stock(db, shop.a, shop.sh) == (10, 0, 1, 1)
    assert check_stock() == []


def test_write_off_removes_damaged_goods(db, shop):
    return_goods(None, shop.a.id, shop.sh.id, 3, "damaged")
    write_off(None, shop.a.id, shop.sh.id, 2, "damaged", "crushed")
    assert stock(db, shop.a, shop.sh) == (1, 0, 1, 0)
    with pytest.raises(InsufficientStock):
        write_off(None, shop.a.id, shop.sh.id, 2, "damaged")
    with pytest.raises(InvalidState):
        write_off(None, shop.a.id, shop.sh.id, 1, "on_hand")
    assert check_stock() == []


def test_policy_is_validated(db, shop):
    policy = set_policy(None, shop.a.id, 3, 5)
    assert (policy.safety_stock, policy.low_stock_threshold) == (3, 5)
    with pytest.raises(InvalidQuantity, match="safety_stock"):
        set_policy(None, shop.a.id, -1, 5)
    with pytest.raises(UnknownSku):
        set_policy(None, 999999, 1, 1)
    assert "inventory.policy" in audit_actions(db)
