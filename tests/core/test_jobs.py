"""Scheduled jobs: one runner wins a race for a job, a failing job is recorded
and does not stop the others, a disabled plugin's jobs are skipped, the CLI,
and the Jobs page. The jobs come from a tiny plugin module defined here."""
import sys
import threading
import time
import types
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from portal import create_app, jobs, plugins
from portal.extensions import db as _db
from portal.hookspecs import hookimpl
from portal.jobs import Job
from portal.models import AuditLog, JobState, utcnow
from portal.plugins import PluginMeta

CALLS = Counter()
HOUR = timedelta(hours=1)


def _ok():
    CALLS["ok"] += 1
    return "did it"


def _fail():
    CALLS["fail"] += 1
    raise RuntimeError("the bank file is missing")


def _slow():
    CALLS["slow"] += 1
    time.sleep(0.5)  # long enough for the other runner to try while this one holds the job
    return "slow done"


@hookimpl
def portal_register_jobs():
    return [Job("jobtest.fail", HOUR, _fail, "Always fails."), Job("jobtest.ok", HOUR, _ok, "Always works."),
            Job("jobtest.race", HOUR, _slow, "Takes a while.")]


def _plugin_module():
    module = types.ModuleType("jobtest_plugin")
    module.__file__ = __file__
    module.__path__ = []  # a package with no sub-modules: the kernel looks for .hooks
    module.PLUGIN = PluginMeta("jobtest", "Job test", "1.0")
    module.portal_register_jobs = portal_register_jobs
    return module


@pytest.fixture(scope="module")
def app(app):
    """A sibling of the session's app on the same database whose only plugin
    is the module above (``create_app`` itself takes installed names only)."""
    module = _plugin_module()
    keep = ("TESTING", "SECRET_KEY", "INSTANCE_PATH")
    config = {k: v for k, v in app.config.items() if k in keep or k.startswith(("PORTAL_", "SQLALCHEMY_", "WTF_"))}
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(sys.modules, module.__name__, module)
        mp.setattr(plugins, "discover", lambda names=None: [module])
        sibling = create_app(config, plugins=[])
    sibling.test_client_class = app.test_client_class
    return sibling


@pytest.fixture(autouse=True)
def fresh_counts():
    CALLS.clear()


def state(name):
    return _db.session.get(JobState, name)


# -- running --------------------------------------------------------------------------

@pytest.fixture()
def committed(app):
    """For tests that need real commits seen by other connections; removes
    the rows afterwards."""
    yield
    with app.app_context():
        _db.session.execute(delete(JobState).where(JobState.name.like("jobtest.%")))
        _db.session.commit()


def test_only_one_of_two_racing_runners_runs_the_job(app, committed):
    barrier = threading.Barrier(2)
    results, failures = [], []

    def runner():
        try:
            with app.app_context():
                barrier.wait()
                results.append(jobs.run_due(names={"jobtest.race"}, echo=lambda line: None)["jobtest.race"])
                _db.session.remove()
        except Exception as exc:  # surfaced below: a thread's exception is otherwise lost
            failures.append(exc)

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert failures == []
    assert sorted(results) == ["not due", "ok"]
    assert CALLS["slow"] == 1
    with app.app_context():
        row = _db.session.get(JobState, "jobtest.race")
        assert row.last_status == "ok" and row.last_message == "slow done" and row.locked_by is None


def test_a_failing_job_is_recorded_and_the_others_still_run(db):
    results = jobs.run_due(names={"jobtest.fail", "jobtest.ok"}, echo=lambda line: None)
    assert results == {"jobtest.fail": "failed", "jobtest.ok": "ok"}
    failed, ok = state("jobtest.fail"), state("jobtest.ok")
    assert failed.last_status == "failed" and failed.last_message.startswith("the bank file is missing\n")
    assert "Traceback" in failed.last_message and failed.locked_until is None
    assert ok.last_status == "ok" and ok.last_message == "did it"
    # neither is due again within the hour
    assert jobs.run_due(names={"jobtest.fail", "jobtest.ok"}, echo=lambda line: None) == {
        "jobtest.fail": "not due", "jobtest.ok": "not due"}
    assert CALLS == Counter(fail=1, ok=1)


def test_a_job_is_due_again_after_its_interval(db):
    jobs.run_due(names={"jobtest.ok"}, echo=lambda line: None)
    state("jobtest.ok").last_started_at = utcnow() - HOUR - timedelta(seconds=1)
    _db.session.commit()
    assert jobs.run_due(names={"jobtest.ok"}, echo=lambda line: None) == {"jobtest.ok": "ok"}
    assert CALLS["ok"] == 2


def test_a_disabled_plugins_jobs_are_skipped(db, app):
    app.extensions["portal.plugins"].set_enabled("jobtest", False)
    _db.session.commit()
    assert jobs.run_due(names={"jobtest.ok"}, echo=lambda line: None) == {"jobtest.ok": "disabled"}
    assert jobs.run_due(names={"jobtest.ok"}, force=True, echo=lambda line: None) == {"jobtest.ok": "disabled"}
    assert CALLS["ok"] == 0


def test_forcing_never_takes_a_job_another_runner_holds(db):
    jobs.run_due(names={"jobtest.ok"}, echo=lambda line: None)
    started = state("jobtest.ok").last_started_at
    row = state("jobtest.ok")
    row.locked_by, row.locked_until = "elsewhere:1", utcnow() + timedelta(minutes=5)
    _db.session.commit()
    assert jobs.run_due(names={"jobtest.ok"}, force=True, echo=lambda line: None) == {"jobtest.ok": "running"}
    _db.session.expire_all()
    assert state("jobtest.ok").last_started_at == started  # the record of the last run is intact
    # a claim whose lease ran out is taken over
    state("jobtest.ok").locked_until = utcnow() - timedelta(seconds=1)
    _db.session.commit()
    assert jobs.run_due(names={"jobtest.ok"}, force=True, echo=lambda line: None) == {"jobtest.ok": "ok"}
    assert CALLS["ok"] == 2


def test_cli_run_and_list(app, db):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["portal", "jobs", "run", "--job", "jobtest.ok", "--job", "jobtest.fail"])
    assert result.exit_code == 1  # cron mails the failure
    assert "jobtest.ok: ok: did it" in result.output
    assert "jobtest.fail: failed: the bank file is missing" in result.output
    result = runner.invoke(args=["portal", "jobs", "run", "--job", "jobtest.ok"])
    assert result.exit_code == 0 and "jobtest.ok" not in result.output  # not due: nothing to say
    result = runner.invoke(args=["portal", "jobs", "run", "--job", "jobtest.nope"])
    assert "jobtest.nope: there is no such job" in result.output
    result = runner.invoke(args=["portal", "jobs", "list"])
    assert "jobtest.race" in result.output and "Takes a while." in result.output


# -- the page ------------------------------------------------------------------------------

def test_page_lists_jobs_with_their_last_run(client, login_as):
    jobs.run_due(names={"jobtest.fail"}, echo=lambda line: None)
    login_as("platform_operator")  # core.jobs: read
    html = client.get("/jobs/").get_data(as_text=True)
    assert "jobtest.ok" in html and "jobtest.race" in html and "1 hour" in html
    assert "the bank file is missing" in html and "Failed" in html
    assert "Run now" not in html
    assert client.post("/jobs/jobtest.ok/run").status_code == 403
    assert CALLS["ok"] == 0


def test_run_now_runs_the_job_and_is_audited(client, login_as):
    jobs.run_due(names={"jobtest.ok"}, echo=lambda line: None)  # ran: not due for an hour
    login_as("platform_admin")
    assert "Run now" in client.get("/jobs/").get_data(as_text=True)
    r = client.post("/jobs/jobtest.ok/run")
    assert r.status_code == 302 and CALLS["ok"] == 2
    assert "jobtest.ok ran." in client.get("/jobs/").get_data(as_text=True)
    audit = _db.session.execute(select(AuditLog).where(AuditLog.action == "job.run_now")).scalars().all()
    assert [a.target for a in audit] == ["jobtest.ok"]
    assert client.post("/jobs/jobtest.fail/run").status_code == 302
    assert "jobtest.fail failed: the bank file is missing" in client.get("/jobs/").get_data(as_text=True)
    assert client.post("/jobs/jobtest.unknown/run").status_code == 404


def test_merchant_staff_have_no_jobs_page(client, login_as, factories):
    login_as("merchant_admin", merchant=factories.merchant())
    assert client.get("/jobs/").status_code == 403
