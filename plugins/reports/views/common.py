"""What every analysis page shares: the period, the currency and the merchant
filter read from the query string, checked against the user's scope."""
from flask import abort, request
from flask_babel import gettext as _
from flask_login import current_user

from portal import access
from portal.money import reporting_currency
from portal.views import PortalView

from ..services.figures import currencies
from ..services.localday import local_today
from ..services.periods import KINDS, PeriodError, parse_period
from .format import money



def merchant_filter():
    """The ``merchant`` asked for, or None; one outside the user's scope is a 404."""
    raw = request.args.get("merchant") or ""
    if not raw:
        return None
    if not raw.isdigit():
        abort(404)
    merchant_id = int(raw)
    if current_user.merchant_id is not None and current_user.merchant_id != merchant_id:
        abort(404)
    allowed = access.access().values_at("merchant", access.READ)
    if allowed is not None and str(merchant_id) not in allowed:
        abort(404)
    return merchant_id


class ReportView(PortalView):
    """An analysis page: ``filters()`` gives the period (or the error naming
    what is wrong), the currency and the merchant filter."""

    def filters(self):
        error = None
        today = local_today()
        try:
            period = parse_period(request.args, today)
        except PeriodError as exc:
            error, period = str(exc), parse_period({}, today)
        available = currencies()
        currency = request.args.get("currency") or ""
        if currency not in available:
            currency = reporting_currency() if reporting_currency() in available or not available else available[0]
        return {"period": period, "previous": period.previous(), "error": error, "currency": currency,
                "currencies": available, "merchant_id": merchant_filter(), "kinds": KINDS,
                "period_labels": period_labels(), "money": money,
                "dimension_labels": dimension_labels()}


def period_labels():
    return {"day": _("Day"), "week": _("Week"), "month": _("Month"), "year": _("Year"), "range": _("Date range")}


def dimension_labels():
    return {"merchant": _("Merchant"), "region": _("Region"), "channel": _("Channel"), "category": _("Category"),
            "brand": _("Brand"), "product": _("Product"), "carrier": _("Carrier")}
