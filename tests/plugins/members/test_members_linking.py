"""Every buyer becomes a member: orders find or create their member by the
customer reference, are linked both ways and keep the member's figures,
growth and points in step with the order's life."""
from decimal import Decimal

from sqlalchemy import select

from plugins.members.models import EARN, RETURN, MemberMerchant, PointsEntry
from plugins.members.services.points import change_balance
from plugins.orders.services import cancel, receive, ship
from tests.plugins.members.helpers import ledger_sum, member_of, pay_in_full, place_for


def test_an_order_creates_its_member_and_a_second_order_finds_it(store, ladder):
    first = place_for(store, "C-77")
    second = place_for(store, "C-77", lines=[(store.b.id, 1)], address="9 Other Road")
    member = member_of(first)
    assert member is not None and member_of(second).id == member.id
    assert (member.name, member.channel, member.customer_ref, member.region) == ("Li Lei", "portal", "C-77", "CN-GD")
    assert member.orders_count == 2 and member.total_spent == Decimal("30.00")
    assert sorted(a.address for a in member.addresses) == ["1 Keji Road", "9 Other Road"]
    assert member.level.code == "bronze"
    assert [m.merchant_id for m in MemberMerchant.query.filter_by(member_id=member.id)] == [store.m.id]


def test_an_order_without_reference_is_known_by_the_phone(store, ladder):
    order = place_for(store, "")
    again = place_for(store, "")
    assert member_of(order).customer_ref == "tel:8613800000000"
    assert member_of(again).id == member_of(order).id


def test_completion_earns_growth_and_points_at_the_level_multiplier(store, ladder, db):
    order = place_for(store, "C-1", lines=[(store.a.id, 10)])  # 100.00
    pay_in_full(order)
    ship(None, order, "SF", "SF1")
    receive(None, order)
    member = member_of(order)
    assert member.growth == 100
    assert member.level.code == "silver"  # upgraded at once
    # earned at bronze (x1) when completing: 100 points
    assert member.points_balance == 100 == ledger_sum(member.id)
    assert [e.kind for e in PointsEntry.query.filter_by(member_id=member.id)] == [EARN]


def test_points_off_for_a_store_earn_nothing_there(store, ladder, db):
    from portal import settings
    settings.set_value("members.points_enabled", "no", merchant_id=store.m.id)
    order = place_for(store, "C-2")
    pay_in_full(order)
    ship(None, order, "SF", "SF2")
    receive(None, order)
    member = member_of(order)
    assert member.growth == 20 and member.points_balance == 0


def test_cancel_gives_back_the_points_the_order_spent(store, ladder, db):
    order = place_for(store, "C-3")
    member = member_of(order)
    change_balance(member.id, 500, "adjust", "opening")
    spending = place_for(store, "C-3", points=500)  # 5.00 of 20.00
    assert spending.total == Decimal("15.00")
    db.session.refresh(member)
    assert member.points_balance == 0
    cancel(None, spending, "Changed my mind")
    db.session.refresh(member)
    assert member.points_balance == 500 == ledger_sum(member.id)
    assert db.session.execute(select(PointsEntry.kind).where(PointsEntry.order_id == spending.id)
                              .order_by(PointsEntry.id)).scalars().all() == ["spend", RETURN]
    assert member.orders_count == 1  # the cancelled order no longer counts


def test_the_order_page_shows_its_member_and_the_member_page_its_orders(store, ladder, client, login_as):
    order = place_for(store, "C-9")
    member = member_of(order)
    login_as("platform_admin")
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'data-testid="order-member"' in page and f"/members/{member.id}" in page
    page = client.get(f"/members/{member.id}").get_data(as_text=True)
    assert order.number in page
