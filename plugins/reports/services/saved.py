"""Saved pivots: a user's own named query strings (another user's view is
not found), each save and removal audited."""
from flask_babel import gettext as _
from sqlalchemy import select

from portal.audit import record
from portal.extensions import db

from ..models import SavedView


class SavedViewError(ValueError):
    """A view that cannot be saved; the message names the field."""


def views_of(user):
    """The user's saved views, by name."""
    return db.session.execute(select(SavedView).where(SavedView.user_id == user.id)
                              .order_by(SavedView.name)).scalars().all()


def find(user, view_id):
    """The user's view ``view_id``, or None (also for another user's)."""
    view = db.session.get(SavedView, view_id)
    return view if view is not None and view.user_id == user.id else None


def save(user, name, query):
    """Save (or replace) the user's view ``name``."""
    name = (name or "").strip()
    if not name:
        raise SavedViewError(_("name: give the view a name."))
    if len(name) > 120:
        raise SavedViewError(_("name: at most 120 characters."))
    if len(query) > 2000:
        raise SavedViewError(_("This view has too many filters to save."))
    view = db.session.execute(select(SavedView).where(SavedView.user_id == user.id, SavedView.name == name)).scalar()
    if view is None:
        view = SavedView(user_id=user.id, name=name, query=query)
        db.session.add(view)
    view.query = query
    db.session.flush()
    record("reports.view_save", target=name, plugin="reports", summary={"query": query}, actor=user)
    return view


def remove(user, view):
    """Remove one of the user's views."""
    record("reports.view_remove", target=view.name, plugin="reports", actor=user)
    db.session.delete(view)
    db.session.flush()
