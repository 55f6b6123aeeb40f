"""The content pages (Flask-Admin views): parse the request, call a service,
render. Every page lives under ``/content/``."""
from flask import flash
from flask_babel import gettext
from flask_login import current_user
from portal.events import EventRejected
from portal.extensions import db
from portal.i18n import N_
from portal.uploads import UploadRejected

from ..services import ContentError


def views():
    """The views the content plugin adds to the menu (under "Content")."""
    from .layout import FloorsView
    from .pages import PagesView
    from .schedule import ScheduleView

    return [
        PagesView(name=N_("Pages"), endpoint="content_pages", url="/content/pages"),
        ScheduleView(name=N_("Campaign schedule"), endpoint="content_schedule", url="/content/schedule"),
        FloorsView(name=N_("Floors"), endpoint="content_floors", url="/content/floors"),
    ]


def actor():
    """The signed-in user, as services take it."""
    return current_user._get_current_object()


def attempt(action, success=None, flash_error=True):
    """Run ``action()`` and commit; on a ``ContentError`` roll everything back
    and flash the message (HTMX partials show it in place). Returns
    ``(result, error message or None)``."""
    try:
        result = action()
        db.session.commit()
    except (ContentError, EventRejected, UploadRejected) as exc:
        db.session.rollback()
        if flash_error:
            flash(str(exc), "error")
        return None, str(exc)
    if success:
        flash(success, "success")
    return result, None


def saved():
    """The flash text after a successful save."""
    return gettext("Saved.")
