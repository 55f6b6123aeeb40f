"""The points ledger: append-only entries beside a balance that never goes
negative; spending through the orders' pricing at the configured rate and
share; expiry at the end of the following year."""
from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from sqlalchemy import select

from plugins.members.models import EXPIRE, Member, PointsEntry
from plugins.members.services import MembersError
from plugins.members.services.points import InsufficientPoints, adjust, change_balance, expire_points
from plugins.orders.models import Adjustment
from plugins.orders.services import quote
from plugins.orders.services.errors import InvalidField
from portal import settings
from portal.extensions import db
from portal.models import AuditLog
from tests.conftest import create_user
from tests.plugins.members.helpers import ledger_sum, member_of, place_for


def _member(ref="P-1"):
    member = Member(channel="portal", customer_ref=ref, name="Points Buyer")
    db.session.add(member)
    db.session.flush()
    return member


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.integers(min_value=-500, max_value=500).filter(bool), max_size=25))
def test_the_balance_is_the_ledger_sum_and_never_negative(db, steps):
    with db.session.begin_nested() as nested:
        member = _member(f"H-{id(steps)}")
        balance = 0
        for points in steps:
            try:
                change_balance(member.id, points, "adjust", "test")
                balance += points
            except InsufficientPoints:
                assert balance + points < 0  # refused exactly when it would go below zero
        entries = db.session.execute(select(PointsEntry).where(PointsEntry.member_id == member.id)
                                     .order_by(PointsEntry.id)).scalars().all()
        running = 0
        for entry in entries:
            running += entry.points
            assert entry.balance_after == running >= 0
        stored = db.session.execute(select(Member.points_balance).where(Member.id == member.id)).scalar()
        assert stored == balance == ledger_sum(member.id) >= 0
        nested.rollback()


def test_staff_adjust_with_a_reason_is_audited_and_refused_without(db):
    staff = create_user("platform_operator")
    member = _member()
    adjust(staff, member, "250", "Goodwill for a late parcel")
    assert member.points_balance == 250
    assert db.session.execute(select(AuditLog.action).where(AuditLog.action == "members.points.adjust")).scalar()
    with pytest.raises(MembersError, match="reason"):
        adjust(staff, member, "10", " ")
    with pytest.raises(MembersError, match="whole number"):
        adjust(staff, member, "ten", "typo")
    with pytest.raises(InsufficientPoints):
        adjust(staff, member, "-251", "too much")
    assert member.points_balance == 250 == ledger_sum(member.id)


def test_points_pay_at_the_rate_up_to_the_share(store, ladder, db):
    first = place_for(store, "R-1")  # creates the member
    change_balance(member_of(first).id, 5000, "adjust", "opening")
    settings.set_value("members.points_value", "100")
    settings.set_value("members.points_max_share", "50")
    priced = quote(None, [(store.a.id, 2)], "CN-GD", "portal", "R-1", points=300)[0]
    assert priced.total == Decimal("17.00")  # 300 points = 3.00 off 20.00
    priced = quote(None, [(store.a.id, 2)], "CN-GD", "portal", "R-1", points=5000)[0]
    assert priced.total == Decimal("10.00")  # at most half of the goods
    points = [a for a in priced.adjustments if a.kind == "points"]
    assert points[0].reason == "1000 points"


def test_spending_more_than_the_balance_or_in_a_store_without_points_is_refused(store, ladder, db):
    place_for(store, "R-2")
    with pytest.raises(InvalidField, match="0 points, fewer than 10"):
        quote(None, [(store.a.id, 1)], "CN-GD", "portal", "R-2", points=10)
    with pytest.raises(InvalidField, match="no member"):
        quote(None, [(store.a.id, 1)], "CN-GD", "portal", "NOBODY", points=10)
    with pytest.raises(InvalidField, match="whole number"):
        quote(None, [(store.a.id, 1)], "CN-GD", "portal", "R-2", points="-3")
    settings.set_value("members.points_enabled", "no", merchant_id=store.m.id)
    with pytest.raises(InvalidField, match="does not take points"):
        quote(None, [(store.a.id, 1)], "CN-GD", "portal", "R-2", points=10)


def test_placing_takes_the_points_and_records_the_adjustment(store, ladder, db):
    first = place_for(store, "R-3")
    member = member_of(first)
    change_balance(member.id, 700, "adjust", "opening")
    order = place_for(store, "R-3", points=700)
    db.session.refresh(member)
    assert order.total == Decimal("13.00")
    assert member.points_balance == 0 == ledger_sum(member.id)
    adj = db.session.execute(select(Adjustment).where(Adjustment.order_id == order.id,
                                                      Adjustment.kind == "points")).scalar_one()
    assert (adj.source, adj.amount) == ("members", Decimal("-7.00"))


def test_level_discount_applies_to_the_goods(store, ladder, db):
    first = place_for(store, "R-4")
    member = member_of(first)
    member.level = ladder["gold"]
    db.session.flush()
    priced = quote(None, [(store.a.id, 2)], "CN-GD", "portal", "R-4")[0]
    assert priced.total == Decimal("18.00")


def test_points_expire_at_the_end_of_the_following_year(db):
    member = _member()
    change_balance(member.id, 300, "earn", "2024 order", now=datetime(2024, 6, 1))
    change_balance(member.id, 200, "earn", "2025 order", now=datetime(2025, 3, 1))
    change_balance(member.id, -100, "spend", "2025 spend", now=datetime(2025, 4, 1))  # the oldest go first
    expire_points(now=datetime(2025, 12, 31))
    db.session.refresh(member)
    assert member.points_balance == 400  # 2024's points last until the end of 2025
    expire_points(now=datetime(2026, 1, 1, 0, 5))
    db.session.refresh(member)
    assert member.points_balance == 200  # 200 of 2024 were left
    entry = db.session.execute(select(PointsEntry).where(PointsEntry.kind == EXPIRE)).scalar_one()
    assert entry.points == -200
    expire_points(now=datetime(2026, 1, 2))  # a second run finds nothing
    db.session.refresh(member)
    assert member.points_balance == 200 == ledger_sum(member.id)
