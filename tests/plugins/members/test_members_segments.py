"""Segments from rules, the consenting-only CSV export, and RFM scores on a
small data set worked out by hand."""
import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest

from plugins.members.models import Member, MemberOrder, Tag
from plugins.members.services.rfm import group_of, recompute
from plugins.members.services.segments import InvalidRules, count, export_csv, parse_rules, save_segment
from portal.extensions import db
from portal.models import utcnow
from tests.conftest import create_user


def _member(ref, spent="0", orders=0, days=None, region="CN-GD", consent=False, tags=(), level=None):
    now = utcnow()
    member = Member(channel="seg", customer_ref=ref, name=ref, region=region, total_spent=Decimal(spent),
                    orders_count=orders, last_order_at=now - timedelta(days=days) if days is not None else None,
                    marketing_consent=consent, level=level, email=f"{ref.lower()}@example.test")
    member.tags = [Tag(tag=t) for t in tags]
    db.session.add(member)
    db.session.flush()
    return member


@pytest.fixture()
def crowd(db, ladder):
    return {
        "a": _member("A", "1200", 6, 5, "CN-GD", True, ("vip",), ladder["gold"]),
        "b": _member("B", "300", 2, 40, "CN-SH", True, (), ladder["silver"]),
        "c": _member("C", "80", 1, 200, "CN-GD", False, ("vip",), ladder["bronze"]),
        "d": _member("D", "0", 0, None, "HK", True, (), ladder["bronze"]),
    }


@pytest.mark.parametrize("form, expected", [
    ({}, "ABCD"),
    ({"min_spent": "300"}, "AB"),
    ({"max_spent": "299.99"}, "CD"),
    ({"min_orders": "2", "max_orders": "5"}, "B"),
    ({"ordered_within_days": "30"}, "A"),
    ({"not_ordered_for_days": "30"}, "BCD"),
    ({"regions": "CN"}, "ABC"),
    ({"regions": "cn-gd, HK"}, "ACD"),
    ({"tags": "VIP"}, "AC"),
    ({"consent": "yes"}, "ABD"),
    ({"consent": "no", "tags": "vip"}, "C"),
])
def test_rules_select_the_members_they_describe(crowd, form, expected):
    from sqlalchemy import select
    from plugins.members.services.segments import members_query
    rules = parse_rules(form)
    names = "".join(m.name for m in db.session.execute(members_query(rules, create_user("platform_admin"))
                                                        .where(Member.channel == "seg")).scalars())
    assert names == expected


def test_level_rule_and_wrong_values_are_named(crowd, ladder):
    from werkzeug.datastructures import MultiDict
    admin = create_user("platform_admin")
    rules = parse_rules(MultiDict([("levels", str(ladder["bronze"].id)), ("levels", str(ladder["gold"].id))]))
    assert count({**rules}, admin) == 3
    with pytest.raises(InvalidRules) as exc:
        parse_rules({"min_spent": "lots", "min_orders": "-1", "regions": "Guangdong"})
    assert set(exc.value.errors) == {"min_spent", "min_orders", "regions"}


def test_the_export_lists_only_members_who_consented(crowd):
    manager = create_user("platform_admin")
    segment = save_segment(manager, "Big spenders", parse_rules({"min_spent": "100"}))
    rows = list(csv.DictReader(io.StringIO(export_csv(manager, segment))))
    assert [r["customer_ref"] for r in rows] == ["A", "B"]  # C spent 80; nobody without consent
    assert rows[0]["email"] == "a@example.test"
    with pytest.raises(Exception):
        export_csv(create_user("merchant_staff", None), segment)


def test_rfm_scores_on_a_small_set_worked_out_by_hand(db, store):
    """Five members with linked orders. ``score = 1 + floor(5 * count(value < mine) / 5)``:
    with five distinct values the scores are 1 to 5 in order; ties share the lower."""
    from plugins.orders.models import Order
    now = utcnow()
    people = {  # ref: [(days ago, total), ...]
        "P": [(1, "100"), (3, "100"), (5, "100"), (7, "100"), (9, "100")],   # 5 orders, 500, last 1 day
        "Q": [(10, "50")],                                                     # 1 order, 50, last 10 days
        "R": [(400, "90"), (380, "90"), (370, "90"), (365, "90")],             # 4 orders, 360, last 365 days
        "S": [(200, "20")],                                                    # 1 order, 20, last 200 days
        "T": [(60, "300"), (30, "300")],                                       # 2 orders, 600, last 30 days
    }
    any_order = db.session.execute(db.select(Order.id)).scalar()
    if any_order is None:
        from tests.plugins.members.helpers import place_for
        any_order = place_for(store, "seed").id
    members = {}
    order_id = 10_000_000
    for ref, orders in people.items():
        member = _member(ref)
        members[ref] = member
        for days, total in orders:
            order_id += 1
            # links to one real order row each (the figures come from the link)
            db.session.execute(MemberOrder.__table__.insert().values(
                order_id=_order_copy(any_order, order_id), member_id=member.id, merchant_id=store.m.id,
                placed_at=now - timedelta(days=days), total=Decimal(total)))
    db.session.execute(db.delete(Member).where(Member.channel != "seg").where(
        ~Member.id.in_(db.select(MemberOrder.member_id))))
    db.session.flush()
    db.session.execute(db.update(MemberOrder).where(MemberOrder.member_id.not_in(
        [m.id for m in members.values()])).values(cancelled=True))
    recompute(now=now)
    scores = {}
    for ref, member in members.items():
        db.session.refresh(member)
        scores[ref] = (member.rfm_r, member.rfm_f, member.rfm_m, member.rfm_group)
    # recency by last order: R (365d) 1, S (200d) 2, T (30d) 3, Q (10d) 4, P (1d) 5
    # frequency: Q and S tie at 1 order, none below -> both 1; T (2 below) 3; R (3 below) 4; P (4 below) 5
    # monetary: S 20 1, Q 50 2, R 360 3, P 500 4, T 600 5
    assert scores == {
        "P": (5, 5, 4, "champions"),
        "Q": (4, 1, 2, "new"),
        "R": (1, 4, 3, "at_risk"),
        "S": (2, 1, 1, "hibernating"),
        "T": (3, 3, 5, "need_attention"),
    }
    assert members["P"].orders_count == 5 and members["P"].total_spent == Decimal("500")
    assert group_of(4, 1, 1) == "new" and group_of(1, 1, 1) == "lost" and group_of(3, 4, 2) == "loyal"


def _order_copy(template_id, new_id):
    """A copy of a real order row under ``new_id``, for links that need an order to point at."""
    from plugins.orders.models import Order
    template = db.session.get(Order, template_id)
    db.session.execute(Order.__table__.insert().values(
        id=new_id, number=f"T{new_id}", checkout_id=template.checkout_id, merchant_id=template.merchant_id,
        state="completed", currency=template.currency, subtotal=0, adjustments_total=0, total=0,
        placed_at=template.placed_at))
    return new_id
