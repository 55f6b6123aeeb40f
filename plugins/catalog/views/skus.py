"""SKUs: the full edit form, and the inline price edit (HTMX) on the product
page. Not in the menu: SKUs are reached from their product."""
from flask import redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from portal import access
from portal.extensions import db
from portal.views import PortalView

from .. import forms
from ..models import Sku
from ..services import skus
from . import attempt, saved

RESOURCE = "catalog.product"


class SkusView(PortalView):
    resource = RESOURCE
    visible_in_menu = False

    @expose("/")
    def index(self):
        """SKUs are listed on their product's page."""
        return redirect(url_for("catalog_products.index"))

    @expose("/<int:sku_id>", methods=["GET", "POST"])
    def edit(self, sku_id):
        """Every field of one SKU; a failed save names the field and writes nothing."""
        sku = access.get_or_404(Sku, sku_id, RESOURCE, "read")
        form = None
        if request.method == "POST":
            access.get_or_404(Sku, sku_id, RESOURCE, "write")
            form = request.form
            _, error = attempt(lambda: skus.update_sku(current_user._get_current_object(), sku,
                                                       forms.sku_fields(form)), saved())
            if error is None:
                return redirect(url_for("catalog_products.detail", product_id=sku.product_id))
            sku = db.session.get(Sku, sku_id)
        return self.render("catalog/sku_form.html", sku=sku, form=form,
                           can_write=access.record_level(RESOURCE, sku) >= access.WRITE)

    @expose("/<int:sku_id>/price", methods=["GET", "POST"])
    def price(self, sku_id):
        """HTMX: GET gives the inline form; POST saves and gives the cell back
        (or the form again with the error, answered 200 so HTMX swaps it)."""
        sku = access.get_or_404(Sku, sku_id, RESOURCE, "write")
        if request.method == "GET":
            return self._price_form(sku, None, str(sku.price_shown))
        raw = request.form.get("price", "")
        _, error = attempt(lambda: skus.update_price(current_user._get_current_object(), sku, raw),
                           flash_error=False)
        if error is not None:
            return self._price_form(db.session.get(Sku, sku_id), error, raw)
        return self._cell(sku)

    @expose("/<int:sku_id>/price/cell")
    def price_cell(self, sku_id):
        """HTMX: the price cell as shown (cancel of the inline edit)."""
        return self._cell(access.get_or_404(Sku, sku_id, RESOURCE, "read"))

    def _price_form(self, sku, error, value):
        return self.render("catalog/_sku_price_form.html", sku=sku, error=error, value=value,
                           partial="catalog/_sku_price_form.html")

    def _cell(self, sku):
        return self.render("catalog/_sku_price.html", sku=sku, can_write=True,
                           partial="catalog/_sku_price.html")
