"""Scheduled jobs. Plugins register ``Job``s; ``flask portal jobs run`` runs the
due ones once (cron-safe on several hosts: each job is claimed with a
conditional UPDATE on its row, so only one runner wins), ``jobs serve`` loops.
"""
import os
import socket
import time
import traceback
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from .extensions import db
from .models import JobState, utcnow


@dataclass(frozen=True)
class Job:
    """``func()`` runs inside an app context and commits its own work."""

    name: str
    interval: timedelta
    func: object
    description: str = ""
    plugin: str = ""
    # how long a claim holds before another runner may assume the holder died
    lease: timedelta = timedelta(minutes=30)


def init_app(app, kernel):
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
    return current_app.extensions["portal.jobs"]


def runner_id():
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def _ensure_rows(names):
    have = set(db.session.execute(select(JobState.name).where(JobState.name.in_(names))).scalars())
    for name in names:
        if name not in have:
            db.session.add(JobState(name=name))
    if len(have) < len(names):
        try:
            db.session.commit()
        except Exception:  # another runner inserted it first
            db.session.rollback()


def claim(job, now=None):
    """Take the job if it is due and nobody holds it. True when this runner won."""
    now = now or utcnow()
    due_before = now - job.interval
    result = db.session.execute(
        update(JobState)
        .where(JobState.name == job.name,
               or_(JobState.locked_until.is_(None), JobState.locked_until < now),
               or_(JobState.last_started_at.is_(None), JobState.last_started_at <= due_before))
        .values(locked_by=runner_id(), locked_until=now + job.lease, last_started_at=now))
    db.session.commit()
    return result.rowcount == 1


def _finish(job, status, message):
    db.session.execute(update(JobState).where(JobState.name == job.name).values(
        locked_by=None, locked_until=None, last_finished_at=utcnow(), last_status=status,
        last_message=(message or "")[:4000]))
    db.session.commit()


def run_due(names=None, force=False, echo=print):
    """Run every due job of enabled plugins once. Returns {name: status}."""
    from .plugins import kernel
    jobs = [j for j in registered().values() if names is None or j.name in names]
    _ensure_rows([j.name for j in jobs])
    off = kernel().disabled()
    results = {}
    for job in jobs:
        if job.plugin in off:
            results[job.name] = "disabled"
            continue
        if force:
            db.session.execute(update(JobState).where(JobState.name == job.name).values(last_started_at=None))
        if not claim(job):
            results[job.name] = "not due"
            continue
        try:
            message = job.func()
        except Exception as exc:
            db.session.rollback()
            current_app.logger.exception("job %s failed", job.name)
            _finish(job, "failed", f"{exc}\n{traceback.format_exc()}")
            results[job.name] = "failed"
            echo(f"{job.name}: failed: {exc}")
        else:
            _finish(job, "ok", str(message or ""))
            results[job.name] = "ok"
            echo(f"{job.name}: ok{': ' + str(message) if message else ''}")
    return results


def serve(interval=30, echo=print, stop=None):
    """Run due jobs every ``interval`` seconds until ``stop()`` returns True."""
    while not (stop and stop()):
        run_due(echo=echo)
        db.session.remove()
        time.sleep(interval)


__all__ = ["Job", "run_due", "serve", "claim", "registered"]
