"""What the finance pages share: the resource, the acting user, running a service."""
from decimal import Decimal

from flask import flash, request
from flask_login import current_user

from portal import access
from portal.extensions import db
from portal.money import quantize
from portal.views import PortalView

from ..services import FinanceError

RESOURCE = "finance.reconciliation"
PER_PAGE = 50
MAX_TEXT = 64


def actor():
    return current_user._get_current_object()


def text_arg(name):
    return (request.args.get(name) or "").replace("\x00", "").strip()[:MAX_TEXT]


def int_arg(name):
    raw = (request.args.get(name) or "").strip()
    return int(raw) if raw.isdigit() else None


def money(amount, currency):
    """An amount rounded to its currency's minor unit, as text."""
    try:
        return f"{quantize(Decimal(amount), currency):,}"
    except Exception:  # a currency the portal does not know: shown as stored
        return f"{Decimal(amount):,}"


class FinanceView(PortalView):
    """A finance page: platform staff with finance.reconciliation."""

    resource = RESOURCE
    plugin = "finance"

    def is_accessible(self):
        return super().is_accessible() and current_user.merchant_id is None

    def attempt(self, call, done):
        """Run a service and commit; a refusal rolls back. Returns the error or None."""
        try:
            call()
            db.session.commit()
        except (FinanceError, access.AccessDenied) as exc:
            db.session.rollback()
            return str(exc)
        if request.headers.get("HX-Request") != "true":
            flash(done, "success")
        return None
