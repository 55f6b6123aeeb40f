"""The dashboard card: open mismatch flags by kind."""
from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal import access
from portal.extensions import db
from portal.views import Widget

from .models import FLAG_KINDS, OPEN, Flag


def dashboard_widgets(user):
    """One card for platform users who may read reconciliation."""
    if user.merchant_id is not None or not access.has_level("finance.reconciliation", "read", user=user):
        return []
    counts = db.session.execute(select(Flag.kind, func.count()).where(Flag.status == OPEN)
                                .group_by(Flag.kind)).all()
    rows = sorted(((FLAG_KINDS.get(kind, kind), n, kind) for kind, n in counts), key=lambda r: -r[1])
    html = render_template("finance/_widget.html", rows=rows)
    return [Widget(title=_("Open mismatches"), html=html, order=40, plugin="finance")]
