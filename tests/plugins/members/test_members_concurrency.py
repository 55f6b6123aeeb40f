"""Several processes (as several gunicorn workers or hosts) spend one
member's points at once: exactly the balance there is gets spent, never
more, and the ledger adds up. SQLite always; PostgreSQL too when
PORTAL_TEST_DATABASE_URL is set."""
import multiprocessing
import os

import pytest
from sqlalchemy import func, select

from tests.conftest import make_app, worker_database

pytestmark = pytest.mark.slow

PROCESSES, BALANCE, BITE = 6, 300, 10


def _spend_until_refused(url, member_id, number, barrier, results):
    from plugins.members.services.points import InsufficientPoints, change_balance
    from portal import config, create_app
    from portal.extensions import db
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": config._engine_options(url),
                      "SECRET_KEY": "race", "TESTING": True})
    spent, problem = 0, None
    with app.app_context():
        db.session.execute(select(1)).all()
        db.session.commit()
        barrier.wait(timeout=60)
        try:
            while True:
                try:
                    change_balance(member_id, -BITE, "spend", f"process {number}")
                    db.session.commit()
                    spent += BITE
                except InsufficientPoints:
                    db.session.rollback()
                    break
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            problem = f"{type(exc).__name__}: {exc}"
        db.session.remove()
        db.engine.dispose()
    results.put((spent, problem))


def _backends():
    return ["sqlite"] + (["postgresql"] if os.environ.get("PORTAL_TEST_DATABASE_URL") else [])


@pytest.fixture(params=_backends())
def race_app(request, tmp_path_factory, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'race.db'}"
    else:
        url = worker_database(os.environ["PORTAL_TEST_DATABASE_URL"], "members_race")
    return make_app(tmp_path_factory, SQLALCHEMY_DATABASE_URI=url)


def test_processes_spending_at_once_never_take_the_balance_below_zero(race_app):
    from plugins.members.models import Member, PointsEntry
    from plugins.members.services.points import change_balance
    from portal.extensions import db

    url = race_app.config["SQLALCHEMY_DATABASE_URI"]
    with race_app.app_context():
        member = Member(channel="portal", customer_ref="RACE", name="Racer")
        db.session.add(member)
        db.session.flush()
        change_balance(member.id, BALANCE, "adjust", "opening")
        db.session.commit()
        member_id = member.id
        db.session.remove()
        db.engine.dispose()

    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    processes = [ctx.Process(target=_spend_until_refused, args=(url, member_id, n, barrier, results))
                 for n in range(PROCESSES)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=300) for _ in processes]
    for process in processes:
        process.join(timeout=60)
        assert process.exitcode == 0

    assert [problem for _, problem in outcomes if problem] == []
    assert sum(spent for spent, _ in outcomes) == BALANCE
    with race_app.app_context():
        assert db.session.execute(select(Member.points_balance).where(Member.id == member_id)).scalar() == 0
        assert db.session.execute(select(func.sum(PointsEntry.points)).where(PointsEntry.member_id == member_id)
                                  ).scalar() == 0
        assert db.session.execute(select(func.min(PointsEntry.balance_after))
                                  .where(PointsEntry.member_id == member_id)).scalar() == 0
        db.session.remove()
        db.engine.dispose()
