"""Levels: thresholds, the upgrade at once, refunds taking growth back, the
yearly review that can downgrade, and the history of changes."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from plugins.members.models import REVIEW, UPGRADE, LevelChange, Member
from plugins.members.services import MembersError
from plugins.members.services.levels import add_growth, delete_level, level_for, review_levels, save_level
from portal import access
from portal.extensions import db
from portal.models import utcnow
from tests.conftest import create_merchant, create_user


def _member(ladder, growth=0, level="bronze", due=None):
    member = Member(channel="portal", customer_ref=f"L-{growth}-{level}", name="Level Buyer", growth=growth,
                    level=ladder[level], review_due_at=due or utcnow() + timedelta(days=365))
    db.session.add(member)
    db.session.flush()
    return member


@pytest.mark.parametrize("growth, code", [(0, "bronze"), (99, "bronze"), (100, "silver"), (499, "silver"),
                                          (500, "gold"), (10 ** 6, "gold")])
def test_the_threshold_reached_names_the_level(ladder, growth, code):
    assert level_for(growth).code == code


def test_growth_moves_up_at_once_and_never_down_before_the_review(ladder):
    member = _member(ladder)
    add_growth(member, 120)
    assert member.level.code == "silver"
    add_growth(member, 400)
    assert member.level.code == "gold"
    add_growth(member, -300)  # a refund takes growth back
    assert (member.growth, member.level.code) == (220, "gold")
    db.session.flush()
    history = db.session.execute(select(LevelChange).where(LevelChange.member_id == member.id)
                                 .order_by(LevelChange.id)).scalars().all()
    assert [(c.to_level.code, c.reason) for c in history] == [("silver", UPGRADE), ("gold", UPGRADE)]


def test_the_yearly_review_downgrades_to_the_growth_of_the_year_and_starts_again(ladder):
    now = utcnow()
    kept = _member(ladder, growth=600, level="gold", due=now - timedelta(minutes=1))
    fallen = _member(ladder, growth=150, level="gold", due=now - timedelta(minutes=1))
    not_due = _member(ladder, growth=0, level="gold", due=now + timedelta(days=30))
    review_levels(now=now)
    for member in (kept, fallen, not_due):
        db.session.refresh(member)
    assert (kept.level.code, kept.growth) == ("gold", 0)
    assert (fallen.level.code, fallen.growth) == ("silver", 0)
    assert not_due.level.code == "gold"
    assert kept.review_due_at > now + timedelta(days=364)
    change = db.session.execute(select(LevelChange).where(LevelChange.member_id == fallen.id)).scalar_one()
    assert (change.from_level.code, change.to_level.code, change.reason, change.growth) == \
        ("gold", "silver", REVIEW, 150)
    assert db.session.execute(select(LevelChange).where(LevelChange.member_id == kept.id)).first() is None


def test_refund_takes_growth_and_points_back(store, ladder):
    from decimal import Decimal
    from plugins.orders.services import after_sales
    from tests.plugins.members.helpers import member_of
    from tests.plugins.orders.helpers import order_in
    order = order_in(store, "completed", lines=[(store.a.id, 10)], customer_ref="REF-1")
    member = member_of(order)
    assert (member.growth, member.points_balance) == (100, 100)
    case = after_sales.open_case(None, order, "refund_only", "damaged", "dented", [], "50.00")
    after_sales.approve(None, case)
    after_sales.refund(None, case)
    db.session.refresh(member)
    assert member.growth == 50 and member.points_balance == 50
    assert member.total_spent == Decimal("50.00")


def test_levels_are_configured_by_the_platform_with_clear_errors(ladder):
    admin = create_user("platform_admin")
    with pytest.raises(MembersError, match="starts at 100"):
        save_level(admin, {"code": "steel", "name": "Steel", "threshold": "100"})
    with pytest.raises(MembersError, match="discount_percent"):
        save_level(admin, {"code": "steel", "name": "Steel", "threshold": "50", "discount_percent": "120"})
    steel = save_level(admin, {"code": "steel", "name": "Steel", "threshold": "50", "free_shipping": "on"})
    assert steel.free_shipping and steel.points_multiplier == 1
    merchant_admin = create_user("merchant_admin", create_merchant())
    with pytest.raises(access.AccessDenied):
        save_level(merchant_admin, {"code": "tin", "name": "Tin", "threshold": "20"})
    _member(ladder)
    with pytest.raises(MembersError, match="cannot be removed"):
        delete_level(admin, ladder["bronze"])
    delete_level(admin, steel)
