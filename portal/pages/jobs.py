"""Scheduled jobs: what is registered, when each last ran and how it ended,
and a button to run one now. Jobs are the platform's: running one needs the
level on data of all merchants, as well as ``core.jobs`` manage."""
from babel.units import format_unit
from flask import abort, flash, redirect, url_for
from flask_admin import expose
from flask_babel import get_locale, gettext as _
from flask_login import current_user

from .. import access, jobs
from ..audit import record
from ..extensions import db
from ..models import JobState, utcnow
from ..plugins import kernel
from ..views import PortalView


def every(interval):
    """``timedelta(hours=25)`` -> "25 hours", in the user's language, in the
    largest unit that divides it exactly (rounding would misstate a schedule)."""
    seconds = int(interval.total_seconds())
    locale = get_locale() or "en"
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            text = format_unit(seconds // size, f"duration-{unit}", length="long", locale=locale)
            if text.endswith(f"duration-{unit}"):
                # CLDR gives some languages (Chinese) only the short form; babel would print the unit id
                text = format_unit(seconds // size, f"duration-{unit}", length="short", locale=locale)
            return text
    return str(interval)


def can_run():
    """May the signed-in user start a job by hand?"""
    return access.access().record_level("core.jobs", {"merchant": None}) >= access.MANAGE


class JobsView(PortalView):
    resource = "core.jobs"

    @expose("/")
    def index(self):
        """Every registered job with its last run."""
        off = kernel().disabled()
        now = utcnow()
        rows = []
        for job, state in jobs.states():
            started = state.last_started_at if state else None
            rows.append({"job": job, "state": state, "enabled": job.plugin not in off,
                         "running": bool(state and state.locked_until and state.locked_until > now),
                         "next_due": started + job.interval if started else None, "every": every(job.interval),
                         "title": kernel().meta(job.plugin).title if job.plugin in kernel().plugins else job.plugin})
        return self.render("portal/jobs.html", rows=rows, can_run=can_run(), now=now)

    @expose("/<path:name>/run", methods=["POST"])
    def run(self, name):
        """Run one job now, even when not due (never while another runner holds it)."""
        if name not in jobs.registered():
            abort(404)
        if not can_run():
            abort(403)
        record("job.run_now", target=name, plugin=jobs.registered()[name].plugin or "core",
               actor=current_user._get_current_object())
        db.session.commit()
        status = jobs.run_due(names={name}, force=True, echo=lambda line: None)[name]
        row = db.session.get(JobState, name)
        reason = (row.last_message or "").partition("\n")[0] if row else ""
        messages = {
            "ok": (_("%(name)s ran.", name=name), "success"),
            "failed": (_("%(name)s failed: %(message)s", name=name, message=reason), "error"),
            "running": (_("%(name)s is running elsewhere right now; try again when it has finished.", name=name),
                        "warning"),
            "disabled": (_("%(name)s belongs to a module that is off.", name=name), "warning"),
        }
        message, category = messages.get(status, (status, "info"))
        flash(message, category)
        return redirect(url_for(".index"))
