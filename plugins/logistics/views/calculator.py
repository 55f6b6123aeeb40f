"""The live freight calculator: pick a merchant, a destination (a country or
province, and in China one of its cities, listed when the province is
chosen) and items, see the freight per template group and why, as the form
changes (HTMX)."""
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
        region = (form.get("region") or "").strip().upper()
        if request.method == "POST":
            try:
                result = calculate(actor(), chosen_merchant(form.get("merchant_id")), region, posted_rows(form),
                                   current_city(form, region))
            except (LogisticsError, access.AccessDenied) as exc:
                error = str(exc)
        rows = posted_rows(form) if request.method == "POST" else []
        rows += [("", "")] * max(0, ROWS - len(rows))
        return self.render("logistics/calculator.html", partial="logistics/_calculator_result.html", form=form,
                           rows=rows, result=result, error=error, merchants=merchant_choices(),
                           regions=regions.choices(), region_label=regions.label,
                           cities=city_choices(region), city=current_city(form, region))

    @expose("/cities")
    def cities(self):
        """The city choice for the chosen province (HTMX; none for a country or a province without cities)."""
        region = (request.args.get("region") or "").strip().upper()
        return self.render("logistics/_calculator_city.html", partial="logistics/_calculator_city.html",
                           cities=city_choices(region), city="")


def city_choices(region):
    """``[(code, label)]`` of the province's cities (empty for anything else)."""
    if regions.province_of(region) != region:
        return []
    return [(code, regions.label(code)) for code in regions.children(region) if regions.province_of(code) == region]


def current_city(form, region):
    """The posted city when it is one of ``region``'s: the city list is replaced
    when the province changes, and the form may post once more before it is."""
    city = (form.get("city") or "").strip()
    return city if city and city != region and regions.province_of(city) == region else ""
