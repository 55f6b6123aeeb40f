"""RFM scoring, computed in the database in a few set-based statements.

First each member's order figures are recomputed from the linked orders
(cancelled ones left out): number of orders, money spent net of refunds,
first and last order. Then each member with orders gets three scores from 1
to 5 by the share of members with orders whose value is below the member's,
in fifths: ``score = 1 + floor(5 * count(value < mine) / count(all))``,
worked out in integers. Ties score alike, at the lower score, so when most
members ordered once, once scores 1. Recency ranks the last order's date (the most recent scores 5),
frequency the number of orders, monetary the money spent. Members without
orders have no scores. The scores name a group (``GROUPS``)."""
from flask_babel import lazy_gettext
from sqlalchemy import case, exists, func, select, text, update

from portal.extensions import db

from ..models import Member, MemberOrder

GROUPS = {
    "champions": lazy_gettext("Champions"),
    "loyal": lazy_gettext("Loyal"),
    "new": lazy_gettext("New"),
    "promising": lazy_gettext("Promising"),
    "need_attention": lazy_gettext("Need attention"),
    "at_risk": lazy_gettext("At risk"),
    "hibernating": lazy_gettext("Hibernating"),
    "lost": lazy_gettext("Lost"),
}


def group_case(r, f, m):
    """The named group of scores, as a SQL expression (first match wins)."""
    return case(
        ((r >= 4) & (f >= 4) & (m >= 4), "champions"),
        ((r >= 3) & (f >= 4), "loyal"),
        ((r >= 4) & (f <= 1), "new"),
        ((r >= 4), "promising"),
        ((r <= 2) & (f >= 3), "at_risk"),
        ((r == 1), "lost"),
        ((r == 2), "hibernating"),
        else_="need_attention")


def group_of(r, f, m):
    """The same rule in Python, for one member's scores (tests, the demo)."""
    if r >= 4 and f >= 4 and m >= 4:
        return "champions"
    if r >= 3 and f >= 4:
        return "loyal"
    if r >= 4 and f <= 1:
        return "new"
    if r >= 4:
        return "promising"
    if r <= 2 and f >= 3:
        return "at_risk"
    if r == 1:
        return "lost"
    if r == 2:
        return "hibernating"
    return "need_attention"


def _work_table(name, columns):
    """A fresh temporary table of integer-keyed rows, for an UPDATE ... FROM:
    an UPDATE cannot hold a window function, and a join on the key is the
    fastest way both databases set a million rows."""
    db.session.execute(text(f"DROP TABLE IF EXISTS {name}"))
    db.session.execute(text(f"CREATE TEMPORARY TABLE {name} (id INTEGER PRIMARY KEY, "
                            + ", ".join(f"{c} {t}" for c, t in columns) + ")"))
    return db.table(name, db.column("id"), *(db.column(c) for c, _t in columns))


def _analyze(work):
    """Statistics for a filled work table: nothing gathers them for a temporary
    table, and PostgreSQL would plan the join on a guess of its size."""
    db.session.execute(text(f"ANALYZE {work.name}"))


def refresh_figures():
    """Each member's orders, spend (net of refunds), first and last order,
    from its linked orders that were not cancelled."""
    work = _work_table("members_figures_work", [("n", "INTEGER"), ("spent", "NUMERIC(18, 4)"),
                                                ("first_at", "TIMESTAMP"), ("last_at", "TIMESTAMP")])
    db.session.execute(work.insert().from_select(["id", "n", "spent", "first_at", "last_at"], select(
        MemberOrder.member_id, func.count(), func.sum(MemberOrder.total - MemberOrder.refunded),
        func.min(MemberOrder.placed_at), func.max(MemberOrder.placed_at))
        .where(MemberOrder.cancelled.is_(False)).group_by(MemberOrder.member_id)))
    _analyze(work)
    db.session.execute(update(Member).where(Member.id == work.c.id).values(
        orders_count=work.c.n, total_spent=work.c.spent, first_order_at=work.c.first_at,
        last_order_at=work.c.last_at), execution_options={"synchronize_session": False})
    # a member whose every order was cancelled has none left; a member with no linked order at all
    # keeps the figures it came with (imported from an earlier system)
    # (NOT) EXISTS, not (NOT) IN: PostgreSQL runs a NOT IN over a large subquery once per row
    db.session.execute(update(Member).where(
        Member.orders_count > 0, ~exists().where(work.c.id == Member.id),
        exists().where(MemberOrder.member_id == Member.id)).values(
        orders_count=0, total_spent=0, first_order_at=None, last_order_at=None),
        execution_options={"synchronize_session": False})
    db.session.execute(text("DROP TABLE members_figures_work"))


def _score(column):
    """``1 + floor(5 * count(value < mine) / n)`` over members with orders, in integers."""
    below = func.rank().over(order_by=column) - 1  # rank: 1 + the rows strictly below
    return 1 + (5 * below) // func.count().over()


def recompute(now=None):
    """Recompute every member's figures and RFM scores and group; commits.
    Returns a summary for the jobs page."""
    refresh_figures()
    work = _work_table("members_rfm_work", [("r", "INTEGER"), ("f", "INTEGER"), ("m", "INTEGER")])
    db.session.execute(work.insert().from_select(["id", "r", "f", "m"], select(
        Member.id, _score(Member.last_order_at), _score(Member.orders_count), _score(Member.total_spent))
        .where(Member.orders_count > 0)))
    _analyze(work)
    db.session.execute(update(Member).where(Member.rfm_r.is_not(None), Member.orders_count == 0).values(
        rfm_r=None, rfm_f=None, rfm_m=None, rfm_group=None), execution_options={"synchronize_session": False})
    db.session.execute(update(Member).where(Member.id == work.c.id).values(
        rfm_r=work.c.r, rfm_f=work.c.f, rfm_m=work.c.m, rfm_group=group_case(work.c.r, work.c.f, work.c.m)),
        execution_options={"synchronize_session": False})
    db.session.execute(text("DROP TABLE members_rfm_work"))
    if db.session.get_bind().dialect.name == "postgresql":
        # the groups and figures of most members just changed; PostgreSQL plans segment counts from
        # statistics its autovacuum would only refresh later (a sample: quick at a million rows)
        db.session.execute(text("ANALYZE members_member"))
    db.session.commit()
    counted = db.session.execute(select(func.count()).where(Member.rfm_group.is_not(None))).scalar()
    return f"{counted} members scored"


def group_counts(query_filter=None):
    """``[(group, label, count)]`` of the members a filter leaves (None: all), in ``GROUPS`` order."""
    query = select(Member.rfm_group, func.count()).where(Member.rfm_group.is_not(None)).group_by(Member.rfm_group)
    if query_filter is not None:
        query = query_filter(query)
    counts = dict(db.session.execute(query).all())
    return [(key, label, counts.get(key, 0)) for key, label in GROUPS.items()]
