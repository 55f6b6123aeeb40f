"""Codes issued to named customers (the members' targeted marketing asks
through its extension points): one-use codes bound to a ``(channel,
customer_ref)``, refused for anyone else at checkout and explained so in
the simulator; the rule must be a live coupon of the store, and the user
needs write access to its coupons."""
from datetime import timedelta

import pytest

from plugins.promotions.models import CouponCode
from plugins.promotions.services import create_rule
from plugins.promotions.services.issuing import IssueRefused, issue_to_customers, offers
from portal import access
from portal.extensions import db
from portal.models import utcnow
from tests.conftest import create_user


def _coupon(merchant, **fields):
    return create_rule(None, {"name": "Loyal thanks", "kind": "coupon", "benefit": "amount", "amount": "5",
                              "scope": "store", "funder": "merchant", "merchant_id": merchant.id,
                              "starts_at": utcnow() - timedelta(hours=1), **fields})


def test_codes_are_bound_one_per_customer_in_order(db, store):
    rule = _coupon(store.m)
    admin = create_user("merchant_admin", store.m)
    codes = issue_to_customers(admin, store.m.id, f"promotions:{rule.id}", [("portal", "C-1"), ("app", "C-2")])
    rows = {c.code: c for c in db.session.query(CouponCode).filter(CouponCode.rule_id == rule.id)}
    assert [(rows[c].channel, rows[c].customer_ref, rows[c].max_uses) for c in codes] == \
        [("portal", "C-1", 1), ("app", "C-2", 1)]
    assert issue_to_customers(admin, store.m.id, "elsewhere:1", [("portal", "C-1")]) is None


def test_what_can_be_offered_and_what_is_refused(db, store):
    mine, theirs = _coupon(store.m), _coupon(store.other)
    over = _coupon(store.m, name="Over", ends_at=utcnow() - timedelta(minutes=1))
    percent = create_rule(None, {"name": "Ten off", "kind": "percent", "percent": "10", "scope": "store",
                                 "funder": "merchant", "merchant_id": store.m.id})
    admin = create_user("merchant_admin", store.m)
    assert offers(admin, store.m.id) == [(f"promotions:{mine.id}", "Coupon Loyal thanks")]
    assert offers(create_user("merchant_staff", store.m), store.m.id) is None
    for rule in (theirs, percent):
        with pytest.raises(IssueRefused, match="not a coupon of this store"):
            issue_to_customers(admin, store.m.id, f"promotions:{rule.id}", [("portal", "C-1")])
    with pytest.raises(IssueRefused, match="is over"):
        issue_to_customers(admin, store.m.id, f"promotions:{over.id}", [("portal", "C-1")])
    with pytest.raises(IssueRefused, match="channel and reference"):
        issue_to_customers(admin, store.m.id, f"promotions:{mine.id}", [("portal", "")])
    with pytest.raises(access.AccessDenied):
        issue_to_customers(create_user("merchant_staff", store.m), store.m.id, f"promotions:{mine.id}",
                           [("portal", "C-1")])
    assert isinstance(IssueRefused("x"), ValueError)  # what the members' extension point expects


def test_the_simulator_explains_a_code_issued_to_another_customer(db, store, client, login_as):
    rule = _coupon(store.m)
    [code] = issue_to_customers(None, store.m.id, f"promotions:{rule.id}", [("portal", "C-9")])
    login_as("merchant_admin", store.m)
    form = {"lines": f"{store.a.code} 2", "coupon_codes": code, "customer_ref": "C-9"}
    other = client.post("/promotions/simulator/", data={**form, "channel": "app"}).get_data(as_text=True)
    assert f"Coupon code {code} was issued to another customer." in other
    holder = client.post("/promotions/simulator/", data={**form, "channel": "portal"}).get_data(as_text=True)
    assert "was issued to another customer" not in holder and "Applied." in holder
