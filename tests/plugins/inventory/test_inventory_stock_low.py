"""``StockLow``: published once when an operation takes a SKU's sellable
quantity from above its low-stock threshold to at or below it, to a fake
plugin listening on ``portal_on_event``; never while it stays above or
stays low, nor for a SKU without a threshold."""
import pytest

from plugins.inventory.events import StockLow
from plugins.inventory.services import (Line, adjust, allocate, deduct, increase, lock, move, order_locks, release,
                                        sellable, set_policy, transfer, write_off)
from portal.events import EventRejected
from portal.plugins import kernel
from tests.core.plugin_fakes import fake_plugin, make_app_with

received = []


def _on_event(event):
    if isinstance(event, StockLow):
        received.append(event)
        if event.threshold == 99:
            raise EventRejected("refused by the listener")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    listener = fake_plugin("lowwatch", requires=["inventory"], portal_on_event=_on_event)
    return make_app_with(tmp_path_factory, [listener], installed=("catalog", "inventory"), suffix="stocklow")


@pytest.fixture()
def low(db, shop):
    """SKU ``a``: ten units in ``sh``, threshold 5; ``b`` has no threshold."""
    increase(None, shop.a.id, shop.sh.id, 10, "GRN")
    increase(None, shop.b.id, shop.sh.id, 10, "GRN")
    set_policy(None, shop.a.id, low_stock_threshold=5)
    received.clear()
    return shop


def test_crossing_the_threshold_publishes_exactly_one_event(db, low):
    s = low
    lock(None, s.a.id, s.sh.id, 4, "O-1")  # 10 -> 6: still above
    assert received == []
    lock(None, s.a.id, s.sh.id, 1, "O-2")  # 6 -> 5: at the threshold
    assert received == [StockLow(merchant_id=s.m.id, sku_id=s.a.id, sellable=5, threshold=5)]
    lock(None, s.a.id, s.sh.id, 2, "O-3")  # 5 -> 3: already low
    assert len(received) == 1


def test_going_back_up_and_down_again_publishes_again(db, low):
    s = low
    held = lock(None, s.a.id, s.sh.id, 6, "O-1")
    release(None, held.id)
    assert len(received) == 1
    move(None, s.a.id, s.sh.id, 5, "sellable", "damaged")
    assert len(received) == 2 and received[-1].sellable == 5


def test_each_operation_that_lowers_sellable_can_cross(db, low):
    s = low
    held = lock(None, s.a.id, s.sh.id, 2, "O-1")
    deduct(None, held.id)  # the locked units shipped: sellable stays 8
    assert received == []
    adjust(None, s.a.id, s.sh.id, 4, "count")
    assert [e.sellable for e in received] == [4]
    adjust(None, s.a.id, s.sh.id, 9, "recount")
    transfer(None, s.a.id, s.sh.id, s.hub.id, 4)  # between active warehouses: still 9
    assert len(received) == 1
    move(None, s.a.id, s.hub.id, 4, "sellable", "quality_hold")
    assert [e.sellable for e in received] == [4, 5]


def test_write_off_of_damaged_goods_does_not_touch_sellable(db, low):
    s = low
    move(None, s.a.id, s.sh.id, 2, "sellable", "damaged")  # 10 -> 8
    write_off(None, s.a.id, s.sh.id, 2, "damaged")
    assert received == []


def test_allocation_over_several_warehouses_publishes_once(db, low):
    s = low
    increase(None, s.a.id, s.hub.id, 2, "GRN")  # 12 sellable
    allocate(None, [Line("1", s.a.id, 11)], "CN", "O-1")
    assert received == [StockLow(merchant_id=s.m.id, sku_id=s.a.id, sellable=1, threshold=5)]


def test_a_sku_without_threshold_never_publishes(db, low):
    lock(None, low.b.id, low.sh.id, 10, "O-1")
    assert received == []


def test_raising_the_threshold_or_safety_stock_over_the_stock_publishes(db, low):
    s = low
    set_policy(None, s.a.id, safety_stock=0, low_stock_threshold=8)
    assert received == []
    set_policy(None, s.a.id, safety_stock=2, low_stock_threshold=8)
    assert received == [StockLow(merchant_id=s.m.id, sku_id=s.a.id, sellable=8, threshold=8)]
    set_policy(None, s.b.id, low_stock_threshold=10)
    assert received[-1].sku_id == s.b.id and len(received) == 2


def test_a_listener_that_refuses_undoes_the_operation(db, low):
    s = low
    increase(None, s.b.id, s.sh.id, 200, "GRN")
    set_policy(None, s.b.id, low_stock_threshold=99)  # the listener refuses a threshold of 99
    with pytest.raises(EventRejected):
        move(None, s.b.id, s.sh.id, 120, "sellable", "damaged")
    assert sellable(s.b.id) == 210


def test_a_refused_lock_is_undone_by_the_callers_transaction(db, low):
    """``lock`` takes no savepoint of its own (it is the hot path): the caller,
    placing an order in one transaction, rolls the whole of it back."""
    s = low
    increase(None, s.b.id, s.sh.id, 200, "GRN")
    set_policy(None, s.b.id, low_stock_threshold=99)
    with pytest.raises(EventRejected):
        with db.session.begin_nested():
            lock(None, s.b.id, s.sh.id, 120, "O-1")
    assert sellable(s.b.id) == 210 and order_locks("O-1") == []


def test_a_listener_switched_off_receives_nothing(db, low):
    kernel().set_enabled("lowwatch", False)
    db.session.flush()
    lock(None, low.a.id, low.sh.id, 6, "O-1")
    assert received == []


def test_a_lock_inside_another_operation_is_published_by_that_one(db, low):
    from plugins.inventory.services.lowstock import operation
    s = low
    with operation():
        lock(None, s.a.id, s.sh.id, 3, "O-1")  # 10 -> 7
        lock(None, s.a.id, s.sh.id, 3, "O-2")  # 7 -> 4: crossed, told once the operation ends
        assert received == []
    assert received == [StockLow(merchant_id=s.m.id, sku_id=s.a.id, sellable=4, threshold=5)]
