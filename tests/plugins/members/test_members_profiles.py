"""Profiles: staff create and edit them, phone and e-mail are masked below
manage, one member's data is exported, and erasure anonymises the person
while the orders' figures stay."""
from decimal import Decimal

import pytest
from sqlalchemy import select

from plugins.members.services.profiles import (InvalidMember, create_member, erase_member, export_member,
                                               mask_email, mask_phone, update_member)
from plugins.orders.models import Checkout, Order
from portal import access
from portal.extensions import db
from portal.models import AuditLog
from tests.conftest import create_merchant, create_user
from tests.plugins.members.helpers import member_of, place_for


def test_masks_keep_only_what_identifies_nobody():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("123") == "***"
    assert mask_email("li.lei@example.test") == "l***@example.test"


def test_staff_create_and_edit_a_member_with_clear_errors(db):
    staff = create_user("platform_operator")
    member = create_member(staff, {"name": "Han Mei", "phone": "+86 139 1111 2222", "tags": "VIP, tea lover, vip",
                                   "marketing_consent": "on"})
    assert member.customer_ref == "tel:8613911112222"
    assert sorted(t.tag for t in member.tags) == ["tea lover", "vip"] and member.marketing_consent
    with pytest.raises(InvalidMember, match="exists already"):
        create_member(staff, {"name": "Again", "phone": "+86 139 1111 2222"})
    with pytest.raises(InvalidMember) as exc:
        update_member(staff, member, {"name": "Han Mei", "email": "not-an-address"})
    assert exc.value.field == "email"
    with pytest.raises(InvalidMember) as exc:
        update_member(staff, member, {"name": "Han Mei", "region": "Guangdong"})
    assert exc.value.field == "region"
    update_member(staff, member, {"name": "Han Meimei", "region": "cn-gd", "tags": "newsletter"})
    assert (member.name, member.region, [t.tag for t in member.tags], member.marketing_consent) == \
        ("Han Meimei", "CN-GD", ["newsletter"], False)
    summary = db.session.execute(select(AuditLog.summary).where(AuditLog.action == "members.member.update")).scalar()
    assert "Han" not in summary and "name" in summary  # the fields changed, not personal data


def test_export_holds_the_profile_orders_and_points(store, db):
    order = place_for(store, "E-1")
    admin = create_user("platform_admin")
    data = export_member(admin, member_of(order))
    assert data["member"]["customer_ref"] == "E-1" and data["member"]["phone"] == "+86 138 0000 0000"
    assert [o["number"] for o in data["orders"]] == [order.number]
    assert data["addresses"][0]["address"] == "1 Keji Road"
    with pytest.raises(access.AccessDenied):
        export_member(create_user("finance"), member_of(order))


def test_erasure_anonymises_the_person_and_keeps_the_order_figures(store, db):
    order = place_for(store, "E-2", lines=[(store.a.id, 3)])
    member = member_of(order)
    total, lines = order.total, [(line.qty, line.line_total) for line in order.lines]
    erase_member(create_user("platform_admin"), member)
    db.session.expire_all()
    member = member_of(order)
    assert (member.phone, member.email, member.addresses, member.tags) == ("", "", [], [])
    assert member.name == "Erased member" and member.erased_at is not None
    order = db.session.get(Order, order.id)
    checkout = db.session.get(Checkout, order.checkout_id)
    assert (checkout.buyer_name, checkout.buyer_phone, checkout.buyer_email, checkout.customer_ref) == \
        ("Erased member", "", "", "")
    assert order.total == total == Decimal("30.00")
    assert [(line.qty, line.line_total) for line in order.lines] == lines
    assert member.orders_count == 1 and member.total_spent == Decimal("30.00")
    # the same reference later makes a new profile, not the erased one again
    again = place_for(store, "E-2")
    assert member_of(again).id != member.id


def test_a_merchant_staff_member_added_by_hand_is_in_its_scope(db):
    from plugins.members.services.scope import reachable
    merchant, other = create_merchant(), create_merchant()
    staff = create_user("merchant_admin", merchant)
    member = create_member(staff, {"name": "Shop Regular", "phone": "13700000000"})
    assert reachable(member.id, user=staff)
    assert not reachable(member.id, user=create_user("merchant_admin", other))
