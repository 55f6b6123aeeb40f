"""Several runners (separate processes, as on several hosts) claim the same
due job at the same moment: exactly one wins, so a job never runs twice."""
import multiprocessing
from datetime import timedelta

import pytest
from sqlalchemy import delete

from portal.extensions import db
from portal.jobs import Job, claim
from portal.models import JobState

pytestmark = [pytest.mark.pg, pytest.mark.slow]

RUNNERS = 3
JOB = Job("core.race_test", timedelta(hours=1), func=None)


def _claim_in_new_process(url, barrier, results):
    from portal import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {}, "SECRET_KEY": "x"})
    with app.app_context():
        db.session.execute(db.select(JobState.name)).all()  # connect before the start line
        barrier.wait(timeout=60)
        results.put(claim(JOB))
        db.session.remove()
        db.engine.dispose()


@pytest.fixture()
def job_row(app):
    with app.app_context():
        db.session.add(JobState(name=JOB.name))
        db.session.commit()
        try:
            yield
        finally:
            db.session.execute(delete(JobState).where(JobState.name == JOB.name))
            db.session.commit()
            db.session.remove()


def test_exactly_one_runner_claims_a_due_job(pg_database_url, job_row):
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(RUNNERS), ctx.Queue()
    processes = [ctx.Process(target=_claim_in_new_process, args=(pg_database_url, barrier, results))
                 for _ in range(RUNNERS)]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    assert sorted(outcomes) == [False] * (RUNNERS - 1) + [True]
