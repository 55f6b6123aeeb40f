"""Scheduled jobs. Plugins register ``Job``s; ``flask portal jobs run`` runs the
due ones once (cron-safe on several hosts: each job is claimed with a
conditional UPDATE on its row, so only one runner wins), ``jobs serve`` loops.

SQLite allows one writer, and a transaction that has read cannot start
writing once another connection has written since its read (SQLITE_BUSY,
immediately, whatever the timeout). So every write below starts a fresh
transaction whose first statement is the write: it then waits for the lock.
"""
import os
import socket
import time
import traceback
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from .extensions import db
from .models import JobState, utcnow


@dataclass(frozen=True)
class Job:
    """``func()`` runs inside an app context and commits its own work; what it
    returns is kept as the run's message."""

    name: str
    interval: timedelta
    func: object
    description: str = ""
    plugin: str = ""
    # how long a claim holds before another runner may assume the holder died
    lease: timedelta = timedelta(minutes=30)


def init_app(app, kernel):
    """Collect every plugin's jobs; fail at start-up, naming the plugin, on a
    name outside the plugin's prefix or declared twice."""
    from .plugins import PluginError
    jobs = {}
    for plugin, items in kernel.call_all("portal_register_jobs"):
        for job in items:
            if not job.name.startswith(plugin + "."):
                raise PluginError(f"plugin {plugin!r}: job {job.name!r} must start with '{plugin}.'")
            if job.name in jobs:
                raise PluginError(f"plugin {plugin!r}: job {job.name!r} is declared twice")
            jobs[job.name] = Job(job.name, job.interval, job.func, job.description, plugin, job.lease)
    app.extensions["portal.jobs"] = jobs


def registered():
    """``{name: Job}`` of every installed plugin, enabled or not."""
    return current_app.extensions["portal.jobs"]


def runner_id():
    """Who holds a claim: host and process, shown on the Jobs page."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _ensure_rows(names):
    have = set(db.session.execute(select(JobState.name).where(JobState.name.in_(names))).scalars())
    db.session.commit()
    for name in names:
        if name in have:
            continue
        db.session.add(JobState(name=name))
        try:
            db.session.commit()
        except IntegrityError:  # another runner inserted it first
            db.session.rollback()


def claim(job, now=None, force=False):
    """Take the job if it is due (or ``force``) and nobody holds it; commits.
    True when this runner won."""
    now = now or utcnow()
    db.session.commit()
    conditions = [JobState.name == job.name,
                  or_(JobState.locked_until.is_(None), JobState.locked_until < now)]
    if not force:
        conditions.append(or_(JobState.last_started_at.is_(None), JobState.last_started_at <= now - job.interval))
    result = db.session.execute(update(JobState).where(*conditions).values(
        locked_by=runner_id(), locked_until=now + job.lease, last_started_at=now))
    db.session.commit()
    return result.rowcount == 1


def _finish(job, status, message):
    db.session.execute(update(JobState).where(JobState.name == job.name).values(
        locked_by=None, locked_until=None, last_finished_at=utcnow(), last_status=status,
        last_message=(message or "")[:4000]))
    db.session.commit()


def _run_one(job, force, echo):
    if not claim(job, force=force):
        return "not due" if not force else "running"
    try:
        message = job.func()
        db.session.commit()  # work the job left pending: failing here fails the job
    except Exception as exc:
        db.session.rollback()
        current_app.logger.exception("job %s failed", job.name)
        _finish(job, "failed", f"{exc}\n{traceback.format_exc()}")
        echo(f"{job.name}: failed: {exc}")
        return "failed"
    _finish(job, "ok", str(message or ""))
    echo(f"{job.name}: ok{': ' + str(message) if message else ''}")
    return "ok"


def run_due(names=None, force=False, echo=print):
    """Run every due job of enabled plugins once; one failing job does not stop
    the others. ``force`` runs the named jobs even when not due (never one
    another runner holds). Returns ``{name: status}``: ok, failed, not due,
    running, disabled or unknown."""
    from .plugins import kernel
    results = {}
    for name in sorted(set(names or ()) - set(registered())):
        results[name] = "unknown"
        echo(f"{name}: there is no such job; `flask portal jobs list` shows them.")
    jobs = [j for j in registered().values() if names is None or j.name in names]
    _ensure_rows([j.name for j in jobs])
    off = kernel().disabled()
    for job in jobs:
        if job.plugin in off:
            results[job.name] = "disabled"
            continue
        results[job.name] = _run_one(job, force, echo)
    return results


def states():
    """Every registered job with its ``JobState`` row (None before its first
    run), in name order, for the Jobs page."""
    rows = {s.name: s for s in db.session.execute(select(JobState)).scalars()}
    return [(job, rows.get(name)) for name, job in sorted(registered().items())]


def serve(interval=30, echo=print, stop=None):
    """Run due jobs every ``interval`` seconds until ``stop()`` returns True."""
    while not (stop and stop()):
        run_due(echo=echo)
        db.session.remove()
        time.sleep(interval)


__all__ = ["Job", "run_due", "serve", "claim", "registered", "states"]
