"""Targeted marketing: a coupon of the promotions issued to every consenting
member of a segment, each code bound to its member (refused at checkout for
anyone else), recorded once per member unless asked again, audited, shown on
the member's page; absent with the promotions off, refused without the
permissions, 404 for another merchant's segment."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from plugins.members.models import IssuedCode, Member
from plugins.members.services import MembersError
from plugins.members.services.marketing import issue, offers_for, plan_issue
from plugins.members.services.profiles import erase_member
from plugins.members.services.segments import save_segment
from plugins.orders.services import place, quote
from plugins.promotions.models import CouponCode, OrderRecord
from plugins.promotions.services import create_rule
from portal import access
from portal.extensions import db
from portal.models import AuditLog, DataGrant, Role, RoleGrant, utcnow
from portal.plugins import kernel
from tests.conftest import create_merchant, create_user
from tests.plugins.members.helpers import buyer, member_of, place_for


def _coupon(merchant, name="Welcome back", **fields):
    return create_rule(None, {"name": name, "kind": "coupon", "benefit": "amount", "amount": "5", "scope": "store",
                              "funder": "merchant", "merchant_id": merchant.id,
                              "starts_at": utcnow() - timedelta(hours=1), **fields})


@pytest.fixture()
def campaign(store, ladder, db):
    """Merchant ``m``'s admin, a coupon rule and a segment (region CN-GD) of
    its buyers: two consenting (``yes1``, ``yes2``), one not (``no``), one
    known by phone only, one erased."""
    admin = create_user("merchant_admin", store.m)
    people = {ref: member_of(place_for(store, ref)) for ref in ("MK-YES1", "MK-YES2", "MK-NO", "MK-GONE")}
    phone_only = member_of(place_for(store, "", phone="+86 139 1111 2222"))
    for member in (people["MK-YES1"], people["MK-YES2"], phone_only, people["MK-GONE"]):
        member.marketing_consent = True
    erase_member(create_user("platform_admin"), people["MK-GONE"])
    db.session.get(Member, people["MK-GONE"].id).marketing_consent = True  # even so, erased is never reached
    db.session.flush()
    rule = _coupon(store.m)
    segment = save_segment(admin, "Guangdong buyers", {"regions": ["CN-GD"]})
    return {"admin": admin, "rule": rule, "key": f"promotions:{rule.id}", "segment": segment, "people": people,
            "phone_only": phone_only}


def _codes(member):
    return db.session.execute(select(IssuedCode).where(IssuedCode.member_id == member.id)
                              .order_by(IssuedCode.id)).scalars().all()


def test_only_consenting_members_with_a_checkout_reference_get_a_bound_code(campaign, store, db):
    admin, segment, key, people = campaign["admin"], campaign["segment"], campaign["key"], campaign["people"]
    assert [(o.key, o.label) for o in offers_for(admin, segment)] == [(key, "Coupon Welcome back")]
    plan = plan_issue(admin, segment, key)
    assert (plan.in_segment, plan.consenting, plan.reachable, plan.holding, plan.to_issue) == (4, 3, 2, 0, 2)
    issue(admin, segment, key, expected=2)
    for ref in ("MK-YES1", "MK-YES2"):
        [record] = _codes(people[ref])
        code = db.session.execute(select(CouponCode).where(CouponCode.code == record.code)).scalar_one()
        assert (code.channel, code.customer_ref, code.max_uses) == ("portal", ref, 1)
        assert (record.offer_key, record.segment_name, record.actor, record.issue_no) == \
            (key, "Guangdong buyers", admin.email, 1)
    assert not _codes(people["MK-NO"]) and not _codes(people["MK-GONE"]) and not _codes(campaign["phone_only"])
    actions = set(db.session.execute(select(AuditLog.action)).scalars())
    assert {"members.segment.issue", "promotions.issue_codes"} <= actions


def test_issuing_twice_gives_no_second_code_unless_asked(campaign, db):
    admin, segment, key, people = campaign["admin"], campaign["segment"], campaign["key"], campaign["people"]
    issue(admin, segment, key)
    with pytest.raises(MembersError, match="No member of this segment is left"):
        issue(admin, segment, key)
    assert plan_issue(admin, segment, key).holding == 2
    issue(admin, segment, key, again=True)
    assert [c.issue_no for c in _codes(people["MK-YES1"])] == [1, 2]
    assert len({c.code for c in _codes(people["MK-YES1"])}) == 2


def test_a_count_that_moved_since_the_confirmation_issues_nothing(campaign, db):
    from plugins.members.services.marketing import SegmentChanged
    with pytest.raises(SegmentChanged) as changed:
        issue(campaign["admin"], campaign["segment"], campaign["key"], expected=5)
    assert changed.value.plan.to_issue == 2
    assert db.session.execute(select(func.count()).select_from(IssuedCode)).scalar() == 0


def test_a_bound_code_works_for_its_member_only_and_once(campaign, store, db):
    issue(campaign["admin"], campaign["segment"], campaign["key"])
    code = _codes(campaign["people"]["MK-YES1"])[0].code
    stranger = quote(None, [(store.b.id, 1)], "CN-GD", "portal", "MK-YES2", coupon_codes=[code])[0]
    assert stranger.total == Decimal("10.00")
    order = place(None, "portal", buyer(), [(store.b.id, 1)], "MK-YES2", coupon_codes=[code]).orders[0]
    explanation = db.session.get(OrderRecord, order.id).explanation
    assert [(e["code"], e["args"]["code"]) for e in explanation] == [("code_bound", code)]
    other_channel = quote(None, [(store.b.id, 1)], "CN-GD", "app", "MK-YES1", coupon_codes=[code])[0]
    assert other_channel.total == Decimal("10.00")
    mine = place(None, "portal", buyer(), [(store.b.id, 1)], "MK-YES1", coupon_codes=[code]).orders[0]
    assert mine.total == Decimal("5.00")
    again = place(None, "portal", buyer(), [(store.b.id, 1)], "MK-YES1", coupon_codes=[code]).orders[0]
    assert again.total == Decimal("10.00")  # one use


def test_another_merchants_coupon_is_not_on_offer(campaign, store, db):
    theirs = _coupon(store.other, "Not yours")
    with pytest.raises(MembersError, match="not on offer"):
        plan_issue(campaign["admin"], campaign["segment"], f"promotions:{theirs.id}")


# -- through the pages ---------------------------------------------------------------------------

def test_review_confirm_and_see_the_code_on_the_members_page(campaign, client, login, db):
    login(campaign["admin"])
    segment, key = campaign["segment"], campaign["key"]
    page = client.get(f"/members/segments/{segment.id}").get_data(as_text=True)
    assert 'data-testid="issue-form"' in page and "Coupon Welcome back" in page
    review = client.get(f"/members/segments/{segment.id}/issue?offer={key}").get_data(as_text=True)
    assert "2 members will get a code" in review and "1 has not consented" in review
    assert "known by a phone number only" in review
    unconfirmed = client.post(f"/members/segments/{segment.id}/issue", data={"offer": key})
    assert "2 members will get a code" in unconfirmed.get_data(as_text=True)  # the confirmation, nothing issued
    assert db.session.execute(select(func.count()).select_from(IssuedCode)).scalar() == 0
    done = client.post(f"/members/segments/{segment.id}/issue", data={"offer": key, "expected": "2"})
    assert done.status_code == 302
    assert "2 codes of Coupon Welcome back issued." in client.get(done.headers["Location"]).get_data(as_text=True)
    member = campaign["people"]["MK-YES1"]
    detail = client.get(f"/members/{member.id}").get_data(as_text=True)
    assert _codes(member)[0].code in detail and 'data-testid="member-codes"' in detail
    again = client.get(f"/members/segments/{segment.id}/issue?offer={key}").get_data(as_text=True)
    assert "0 members will get a code" in again and 'data-testid="issue-again"' in again
    refused = client.post(f"/members/segments/{segment.id}/issue", data={"offer": key, "expected": "0"})
    assert "No member of this segment is left" in refused.get_data(as_text=True)


def test_a_moved_count_shows_the_confirmation_again(campaign, client, login, db):
    login(campaign["admin"])
    segment = campaign["segment"]
    page = client.post(f"/members/segments/{segment.id}/issue", data={"offer": campaign["key"], "expected": "9"})
    body = page.get_data(as_text=True)
    assert "The segment changed since you looked: 2 members" in body and 'name="expected" value="2"' in body
    assert db.session.execute(select(func.count()).select_from(IssuedCode)).scalar() == 0


def test_with_the_promotions_off_for_the_store_the_action_is_absent(campaign, store, client, login, db):
    kernel().set_enabled("promotions", False, merchant_id=store.m.id)
    login(campaign["admin"])
    segment = campaign["segment"]
    assert offers_for(campaign["admin"], segment) is None
    assert 'data-testid="issue-section"' not in client.get(f"/members/segments/{segment.id}").get_data(as_text=True)
    assert client.get(f"/members/segments/{segment.id}/issue?offer={campaign['key']}").status_code == 404
    assert client.post(f"/members/segments/{segment.id}/issue",
                       data={"offer": campaign["key"], "expected": "2"}).status_code == 404


def test_without_write_access_to_coupons_it_is_absent_and_refused(campaign, store, client, login, db):
    role = Role(name="Segment editor", kind="merchant", merchant_id=store.m.id,
                grants=[RoleGrant(resource="members.member", level=access.level_value("read")),
                        RoleGrant(resource="members.segment", level=access.level_value("write")),
                        RoleGrant(resource="promotions.coupon", level=access.level_value("read"))],
                data_grants=[DataGrant(scope="merchant", value="@own", level=access.level_value("write"))])
    db.session.add(role)
    db.session.flush()
    editor = login(create_user(role, store.m))
    segment = campaign["segment"]
    assert 'data-testid="issue-section"' not in client.get(f"/members/segments/{segment.id}").get_data(as_text=True)
    refused = client.post(f"/members/segments/{segment.id}/issue", data={"offer": campaign["key"], "expected": "2"})
    assert refused.status_code == 403 and "Coupon codes" in refused.get_data(as_text=True)
    with pytest.raises(access.AccessDenied):
        issue(editor, segment, campaign["key"])
    assert db.session.execute(select(func.count()).select_from(IssuedCode)).scalar() == 0


def test_merchant_staff_who_read_segments_do_not_see_it(campaign, store, client, login_as):
    login_as("merchant_staff", store.m)
    segment = campaign["segment"]
    assert 'data-testid="issue-section"' not in client.get(f"/members/segments/{segment.id}").get_data(as_text=True)
    assert client.post(f"/members/segments/{segment.id}/issue",
                       data={"offer": campaign["key"], "expected": "2"}).status_code == 403


def test_another_merchants_segment_is_404(campaign, client, login_as):
    login_as("merchant_admin", create_merchant())
    segment = campaign["segment"]
    assert client.get(f"/members/segments/{segment.id}/issue?offer={campaign['key']}").status_code == 404
    assert client.post(f"/members/segments/{segment.id}/issue",
                       data={"offer": campaign["key"], "expected": "2"}).status_code == 404


def test_a_platform_segment_offers_the_platforms_coupons_only(campaign, store, client, login_as, db):
    operator = login_as("platform_operator")
    segment = save_segment(operator, "Everyone in Guangdong", {"regions": ["CN-GD"]})
    page = client.get(f"/members/segments/{segment.id}").get_data(as_text=True)
    assert 'data-testid="nothing-on-offer"' in page and "create a platform coupon rule" in page
    platform = create_rule(None, {"name": "Platform thanks", "kind": "coupon", "benefit": "amount", "amount": "3",
                                  "scope": "store", "funder": "platform",
                                  "starts_at": utcnow() - timedelta(hours=1)})
    assert [o.key for o in offers_for(operator, segment)] == [f"promotions:{platform.id}"]
    assert plan_issue(operator, segment, f"promotions:{platform.id}").to_issue == 2


def test_another_store_of_the_same_member_does_not_see_the_code(campaign, store, client, login_as, db):
    issue(campaign["admin"], campaign["segment"], campaign["key"])
    member = campaign["people"]["MK-YES1"]
    place_for(store, "MK-YES1", lines=[(store.x.id, 1)])  # the member buys from the other store too
    code = _codes(member)[0].code
    login_as("merchant_admin", store.other)
    page = client.get(f"/members/{member.id}").get_data(as_text=True)
    assert page.count("MK-YES1") and code not in page and "No code issued yet." in page
    assert client.get(f"/members/{member.id}/export").json["codes"] == []
    client.get("/logout")
    login_as("platform_admin")
    assert code in client.get(f"/members/{member.id}").get_data(as_text=True)


def test_erasing_a_member_makes_their_codes_anonymous_and_unusable(campaign, store, db):
    issue(campaign["admin"], campaign["segment"], campaign["key"])
    member = campaign["people"]["MK-YES1"]
    code = _codes(member)[0].code
    erase_member(create_user("platform_admin"), member)
    row = db.session.execute(select(CouponCode).where(CouponCode.code == code)).scalar_one()
    assert row.channel == "~erased" and "MK-YES1" not in row.customer_ref
    order = place(None, "portal", buyer(), [(store.b.id, 1)], "MK-YES1", coupon_codes=[code]).orders[0]
    assert order.total == Decimal("10.00")  # the old reference no longer unlocks it
    assert [c.code for c in _codes(member)] == [code]  # which code the member had stays on record
