"""The live freight calculator: pick a merchant, a destination and items, see
the freight per template group and why, as the form changes (HTMX)."""
from flask import request
from flask_admin import expose

from portal import access
from portal.views import PortalView

from .. import regions
from ..services.charging import calculate
from ..services.errors import LogisticsError
from .common import actor, chosen_merchant, merchant_choices

RESOURCE = "logistics.template"
ROWS = 5


def posted_rows(form):
    """``[(SKU code, quantity)]`` in the order of the item rows."""
    codes, quantities = form.getlist("sku"), form.getlist("qty")
    return [(code, quantities[i] if i < len(quantities) else "") for i, code in enumerate(codes)]


class CalculatorView(PortalView):
    resource = RESOURCE

    @expose("/", methods=["GET", "POST"])
    def index(self):
        """The form; posted (on every change), the freight and its breakdown."""
        form = request.form if request.method == "POST" else request.args
        result, error = None, None
        if request.method == "POST":
            try:
                result = calculate(actor(), chosen_merchant(form.get("merchant_id")), form.get("region", ""),
                                   posted_rows(form))
            except (LogisticsError, access.AccessDenied) as exc:
                error = str(exc)
        rows = posted_rows(form) if request.method == "POST" else []
        rows += [("", "")] * max(0, ROWS - len(rows))
        return self.render("logistics/calculator.html", partial="logistics/_calculator_result.html", form=form,
                           rows=rows, result=result, error=error, merchants=merchant_choices(),
                           regions=regions.choices(), region_label=regions.label)
