"""The plugin's pages: Users, Roles and the Audit log. Each view parses the
request, calls a service and renders; the rules live in ``services``."""
from flask import flash, redirect
from flask_login import current_user

from portal.extensions import db
from portal.i18n import N_

from ..services import Refused


def views():
    """The Flask-Admin views the plugin adds (the core sets their plugin and menu category)."""
    from .audit import AuditView
    from .roles import RolesView
    from .users import UsersView

    return [
        UsersView(name=N_("Users"), endpoint="permissions_users", url="/permissions/users"),
        RolesView(name=N_("Roles"), endpoint="permissions_roles", url="/permissions/roles"),
        AuditView(name=N_("Audit log"), endpoint="permissions_audit", url="/permissions/audit"),
    ]


def actor():
    """The signed-in user as a plain model object, for services."""
    return current_user._get_current_object()


def failed(exc, flash_it=True):
    """End a refused change: keep the audit row of a refused grant, drop
    anything else, and tell the user why (flashed, or returned for a partial)."""
    if isinstance(exc, Refused):
        db.session.commit()
    else:
        db.session.rollback()
    message = exc.translated()
    if flash_it:
        flash(message, "error")
    return message


def change_data_grant(change, done, back):
    """Run a data-grant change for a role or an account, say how it went, and
    go back to the holder's data grants."""
    from ..services import PermissionsError
    try:
        change()
    except PermissionsError as exc:
        failed(exc)
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(back + "#data-grants")
