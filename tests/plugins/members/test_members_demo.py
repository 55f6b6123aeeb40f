"""The demo members: after the demo orders, a ladder of levels and members up
to the configured number (300 in the tests), the demo orders' buyers among
them and linked to their orders, every level and RFM group held; a second
run adds nothing."""
from sqlalchemy import func, select

from plugins.members.models import Level, Member, MemberOrder, PointsEntry
from plugins.members.services.rfm import GROUPS
from plugins.orders.models import Order
from portal import demo as portal_demo


def test_the_demo_members(db):
    lines = []
    assert portal_demo.load_demo(echo=lines.append)
    summary = next(line for line in lines if line.startswith("Members:"))
    assert lines.index(summary) > next(i for i, line in enumerate(lines) if line.startswith("Orders:"))
    assert db.session.execute(select(func.count()).select_from(Member)).scalar() == 300
    # every demo order is linked to its buyer's member
    assert db.session.execute(select(func.count()).select_from(MemberOrder)).scalar() == \
        db.session.execute(select(func.count()).select_from(Order)).scalar()
    held = set(db.session.execute(select(Level.code).join(Member, Member.level_id == Level.id)).scalars())
    assert held == {"bronze", "silver", "gold", "platinum"}
    groups = set(db.session.execute(select(Member.rfm_group).where(Member.rfm_group.is_not(None))).scalars())
    assert len(groups) >= len(GROUPS) - 1, groups
    # balances agree with the ledger
    mismatched = db.session.execute(select(func.count()).select_from(Member).where(
        Member.points_balance != select(func.coalesce(func.sum(PointsEntry.points), 0))
        .where(PointsEntry.member_id == Member.id).correlate(Member).scalar_subquery())).scalar()
    assert mismatched == 0
    portal_demo.load_demo(echo=lines.append)
    assert db.session.execute(select(func.count()).select_from(Member)).scalar() == 300
