"""Points spent on a checkout of several merchants: spread over the merchant
orders in proportion to what each may take, each order within the largest
share on its own, exact to the cent, and a cancel of one order gives back
that order's points only."""
from decimal import Decimal

from hypothesis import given, strategies as st
from sqlalchemy import select

from plugins.members.services.points import change_balance
from plugins.members.services.pricing import spread
from plugins.orders.models import Adjustment
from plugins.orders.services import cancel, place, quote
from portal import settings
from portal.extensions import db
from tests.plugins.members.helpers import buyer, ledger_sum, member_of, place_for


@given(points=st.integers(min_value=0, max_value=10 ** 6),
       room=st.lists(st.integers(min_value=0, max_value=10 ** 5), min_size=1, max_size=6))
def test_spread_adds_up_and_never_passes_a_part_s_room(points, room):
    shares = spread(points, dict(enumerate(room)))
    assert sum(shares.values()) == min(points, sum(room))
    assert all(0 <= shares[key] <= room[key] for key in shares)


def test_spread_gives_the_rounding_point_to_the_largest_remainder_then_the_earlier_part():
    assert spread(1000, {"m": 1000, "other": 1275}) == {"m": 440, "other": 560}
    assert spread(1, {"a": 5, "b": 5}) == {"a": 1, "b": 0}
    assert spread(10, {"a": 0, "b": 4}) == {"a": 0, "b": 4}


def _member_with(store, ref, points):
    member = member_of(place_for(store, ref))
    change_balance(member.id, points, "adjust", "opening")
    settings.set_value("members.points_value", "100")
    settings.set_value("members.points_max_share", "50")
    return member


def _points_of(order):
    return db.session.execute(select(Adjustment.amount).where(
        Adjustment.order_id == order.id, Adjustment.kind == "points")).scalar()


def test_points_are_spread_over_the_merchant_orders_and_each_keeps_its_share(store, ladder, db):
    member = _member_with(store, "MP-1", 5000)
    lines = [(store.a.id, 2), (store.x.id, 1)]  # 20.00 for m, 25.50 for other
    spread_quote = quote(None, lines, "CN-GD", "portal", "MP-1", points=1000)
    assert [p.total for p in spread_quote] == [Decimal("15.60"), Decimal("19.90")]  # 4.40 + 5.60 off
    capped = quote(None, lines, "CN-GD", "portal", "MP-1", points=5000)
    assert [p.total for p in capped] == [Decimal("10.00"), Decimal("12.75")]  # half of each order, no more
    checkout = place(None, "portal", buyer(), lines, "MP-1", points=1000)
    mine, theirs = sorted(checkout.orders, key=lambda o: o.merchant_id)
    assert (_points_of(mine), _points_of(theirs)) == (Decimal("-4.4000"), Decimal("-5.6000"))
    assert checkout.total == mine.total + theirs.total == Decimal("35.50")
    db.session.refresh(member)
    assert member.points_balance == 4000 == ledger_sum(member.id)


def test_a_cancel_of_one_merchant_order_gives_back_its_own_points(store, ladder, db):
    member = _member_with(store, "MP-2", 1000)
    checkout = place(None, "portal", buyer(), [(store.a.id, 2), (store.x.id, 1)], "MP-2", points=1000)
    mine, theirs = sorted(checkout.orders, key=lambda o: o.merchant_id)
    cancel(None, theirs, "Out of stock at the merchant")
    db.session.refresh(member)
    assert member.points_balance == 560 == ledger_sum(member.id)
    assert _points_of(mine) == Decimal("-4.4000")  # the other order keeps what it was paid with
    cancel(None, mine, "Changed my mind")
    db.session.refresh(member)
    assert member.points_balance == 1000 == ledger_sum(member.id)


def test_a_store_without_points_leaves_them_to_the_others(store, ladder, db):
    _member_with(store, "MP-3", 5000)
    settings.set_value("members.points_enabled", "no", merchant_id=store.other.id)
    mine, theirs = quote(None, [(store.a.id, 2), (store.x.id, 1)], "CN-GD", "portal", "MP-3", points=800)
    assert (mine.total, theirs.total) == (Decimal("12.00"), Decimal("25.50"))
    assert not [a for a in theirs.adjustments if a.kind == "points"]
