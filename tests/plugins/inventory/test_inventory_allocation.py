"""Allocation: warehouses that ship to the region, fewest splits, then
priority; all or nothing; and the sales layer it respects."""
import pytest
from sqlalchemy import func, select

from plugins.inventory.services import (InsufficientStock, InvalidQuantity, Line, UnknownSku, allocate,
                                        check_stock, increase, lock, low_stock, move, sellable, sellable_many,
                                        set_policy)
from plugins.inventory.models import StockLock
from tests.conftest import create_user


def plan(locks):
    return sorted((lk.line_ref, lk.sku_id, lk.warehouse_id, lk.qty) for lk in locks)


def test_one_warehouse_that_covers_the_line_wins_by_priority(db, shop):
    for warehouse in (shop.sh, shop.gz, shop.hub):
        increase(None, shop.a.id, warehouse.id, 10, "GRN")
    locks = allocate(None, [("1", shop.a.id, 4)], "CN-GD", "O-1")
    assert plan(locks) == [("1", shop.a.id, shop.sh.id, 4)]
    assert check_stock() == []


def test_the_region_decides_which_warehouses_may_serve(db, shop):
    increase(None, shop.a.id, shop.sh.id, 10, "GRN")
    increase(None, shop.a.id, shop.hub.id, 10, "GRN")
    assert plan(allocate(None, [("1", shop.a.id, 3)], "HK", "O-1")) == [("1", shop.a.id, shop.hub.id, 3)]
    with pytest.raises(InsufficientStock, match="US"):
        allocate(None, [("1", shop.a.id, 1)], "US", "O-2")


def test_fewest_splits_beat_priority(db, shop):
    increase(None, shop.a.id, shop.sh.id, 3, "GRN")  # best priority, too small
    increase(None, shop.a.id, shop.hub.id, 8, "GRN")  # covers alone
    assert plan(allocate(None, [("1", shop.a.id, 6)], "CN", "O-1")) == [("1", shop.a.id, shop.hub.id, 6)]


def test_a_line_is_split_when_no_warehouse_covers_it(db, shop):
    increase(None, shop.a.id, shop.sh.id, 3, "GRN")
    increase(None, shop.a.id, shop.gz.id, 4, "GRN")
    increase(None, shop.a.id, shop.hub.id, 5, "GRN")
    # two warehouses are enough: gz + hub (9) or sh + hub (8); sh has the best priority
    locks = allocate(None, [("1", shop.a.id, 8)], "CN-GD", "O-1")
    assert plan(locks) == [("1", shop.a.id, shop.sh.id, 3), ("1", shop.a.id, shop.hub.id, 5)]


def test_other_merchants_warehouses_are_never_used(db, shop):
    increase(None, shop.x.id, shop.far.id, 5, "GRN")
    increase(None, shop.x.id, shop.hub.id, 5, "GRN")
    assert plan(allocate(None, [("1", shop.x.id, 6)], "CN", "O-1")) == [
        ("1", shop.x.id, shop.hub.id, 1), ("1", shop.x.id, shop.far.id, 5)]
    increase(None, shop.a.id, shop.sh.id, 1, "GRN")
    with pytest.raises(InsufficientStock):
        allocate(None, [("1", shop.a.id, 2)], "CN", "O-2")  # far is not m's


def test_several_lines_are_all_or_nothing(db, shop):
    increase(None, shop.a.id, shop.sh.id, 5, "GRN")
    increase(None, shop.b.id, shop.sh.id, 1, "GRN")
    with pytest.raises(InsufficientStock) as err:
        allocate(None, [("1", shop.a.id, 2), ("2", shop.b.id, 2)], "CN", "O-1")
    assert err.value.sku_id == shop.b.id
    assert db.session.execute(select(func.count()).select_from(StockLock)).scalar() == 0
    assert sellable(shop.a.id) == 5
    locks = allocate(None, [Line("1", shop.a.id, 2), Line("2", shop.a.id, 3), Line("3", shop.b.id, 1)], "CN", "O-2")
    assert plan(locks) == [("1", shop.a.id, shop.sh.id, 2), ("2", shop.a.id, shop.sh.id, 3),
                           ("3", shop.b.id, shop.sh.id, 1)]
    assert sellable_many([shop.a.id, shop.b.id]) == {shop.a.id: 0, shop.b.id: 0}
    assert check_stock() == []


def test_allocation_refuses_bad_lines(db, shop):
    with pytest.raises(InvalidQuantity, match="line 1"):
        allocate(None, [("1", shop.a.id, 0)], "CN", "O-1")
    with pytest.raises(UnknownSku):
        allocate(None, [("1", 999999, 1)], "CN", "O-1")
    increase(None, shop.a.id, shop.sh.id, 5, "GRN")
    with pytest.raises(UnknownSku):
        allocate(create_user("merchant_staff", shop.other), [("1", shop.a.id, 1)], "CN", "O-1")


def test_sellable_subtracts_locked_damaged_held_and_safety_stock(db, shop):
    assert sellable(shop.a.id) == 0
    increase(None, shop.a.id, shop.sh.id, 10, "GRN")
    increase(None, shop.a.id, shop.hub.id, 4, "GRN")
    lock(None, shop.a.id, shop.sh.id, 3, "O-1")
    move(None, shop.a.id, shop.sh.id, 2, "sellable", "damaged")
    move(None, shop.a.id, shop.hub.id, 1, "sellable", "quality_hold")
    assert sellable(shop.a.id) == 5 + 3
    set_policy(None, shop.a.id, safety_stock=6)
    assert sellable(shop.a.id) == 2
    set_policy(None, shop.a.id, safety_stock=20)
    assert sellable(shop.a.id) == 0
    shop.hub.active = False
    set_policy(None, shop.a.id, safety_stock=0)
    assert sellable(shop.a.id) == 5  # an inactive warehouse sells nothing


def test_allocation_keeps_the_safety_stock(db, shop):
    increase(None, shop.a.id, shop.sh.id, 5, "GRN")
    set_policy(None, shop.a.id, safety_stock=2)
    with pytest.raises(InsufficientStock, match="sellable"):
        allocate(None, [("1", shop.a.id, 4)], "CN", "O-1")
    assert len(allocate(None, [("1", shop.a.id, 3)], "CN", "O-1")) == 1


def test_low_stock_lists_skus_at_or_below_their_threshold(db, shop):
    increase(None, shop.a.id, shop.sh.id, 5, "GRN")
    increase(None, shop.b.id, shop.sh.id, 50, "GRN")
    set_policy(None, shop.a.id, low_stock_threshold=5)
    set_policy(None, shop.b.id, low_stock_threshold=5)
    assert low_stock([shop.m.id]) == [(shop.a.id, 5, 5)]
    assert low_stock([shop.other.id]) == []
    assert (shop.a.id, 5, 5) in low_stock()
