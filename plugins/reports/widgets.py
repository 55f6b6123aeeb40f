"""The cockpit: the reports' cards on the dashboard. Each card's body comes
from one endpoint (``/reports/cockpit/<card>``) that HTMX calls again every
minute, checked like a page; each card links to its analysis."""
from flask import render_template, url_for
from flask_babel import gettext as _

from portal import access
from portal.money import reporting_currency
from portal.views import Widget

from .registry import LOGISTICS, PRODUCTS, SALES
from .services.figures import change, currencies, daily_gmv, sales_totals, shipping_by, top_products
from .services.labels import labels
from .services.localday import local_today
from .services.periods import period_for
from .views.format import money


def _currency(user):
    available = currencies(user)
    preferred = reporting_currency()
    return preferred if preferred in available or not available else available[0]


def _sales(user, kind):
    period = period_for(kind, local_today())
    currency = _currency(user)
    now, before = sales_totals(period, currency, user), sales_totals(period.previous(), currency, user)
    chart = {"labels": [d.isoformat() for d, _v in daily_gmv(period, currency, user)],
             "current": [float(v) for _d, v in daily_gmv(period, currency, user)]} if kind == "month" else None
    return {"now": now, "before": before, "currency": currency, "change": change, "money": money, "chart": chart,
            "kind": kind}


def _products(user):
    period = period_for("week", local_today())
    currency = _currency(user)
    top = top_products(period, currency, 5, user)
    names = labels("product", [pid for pid, _u, _s in top])
    return {"rows": [(names.get(pid, pid), int(units or 0)) for pid, units, _s in top]}


def _shipping(user):
    period = period_for("week", local_today())
    rows = shipping_by("carrier", period, user)
    return {"shipped": sum(v[0] for v in rows.values()), "received": sum(v[1] for v in rows.values()),
            "carriers": sorted(rows.items(), key=lambda kv: -kv[1][0])[:3]}


# card -> (permission, title, analysis endpoint and arguments, template, figures)
CARDS = {
    "today": (SALES, lambda: _("Sales today"), ("reports_sales.index", {"period": "day"}), "reports/_card_sales.html",
              lambda user: _sales(user, "day")),
    "month": (SALES, lambda: _("Sales this month"), ("reports_sales.index", {"period": "month"}),
              "reports/_card_sales.html", lambda user: _sales(user, "month")),
    "top": (PRODUCTS, lambda: _("Top sellers this week"), ("reports_products.index", {"period": "week"}),
            "reports/_card_top.html", _products),
    "shipping": (LOGISTICS, lambda: _("Shipping this week"), ("reports_logistics.index", {"period": "week"}),
                 "reports/_card_shipping.html", _shipping),
}


def card_body(name, user):
    """The HTML of one card's body (the caller checked the permission)."""
    _resource, _title, _link, template, figures = CARDS[name]
    return render_template(template, card=name, **figures(user))


def dashboard_widgets(user):
    """The cards the user may read."""
    out = []
    for order, (name, (resource, title, (endpoint, args), _t, _f)) in enumerate(CARDS.items()):
        if access.has_level(resource, "read", user=user):
            html = render_template("reports/_card.html", card=name, body=card_body(name, user))
            out.append(Widget(title=title(), html=html, url=url_for(endpoint, **args), order=10 + order,
                              plugin="reports"))
    return out
