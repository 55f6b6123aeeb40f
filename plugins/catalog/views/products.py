"""Products: the list (search, filters, bulk shelf actions), creating and
editing a product, the HTMX shelf toggle, the scheduled on-shelf time and
adding spec values."""
from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from portal import access
from portal.extensions import db
from portal.models import Merchant
from portal.paging import paginate
from portal.views import PortalView
from sqlalchemy import select

from .. import forms
from ..models import PARAM, SPEC, Brand, Product
from ..services import CatalogError, library, products, queries, review, shelf, skus
from . import RowUrl, attempt, saved, status_labels

RESOURCE = "catalog.product"


def _actor():
    return current_user._get_current_object()


class ProductsView(PortalView):
    resource = RESOURCE

    @expose("/")
    def index(self):
        """The list: search, filters, sort, pages without a full count; HTMX gets the rows only."""
        filters = queries.ProductFilters.from_args(request.args)
        page = paginate(queries.product_query(filters), request.args.get("page"), count=False)
        summaries = queries.sku_summaries([p.id for p in page.items])
        # the filter choices are passed uncalled: only the full page shows them, and
        # HTMX asks for the rows alone on every keystroke of the search box
        return self.render("catalog/products.html", page=page, filters=filters, summaries=summaries,
                           categories=library.tree, brands=_brands, merchants=_merchants,
                           labels=status_labels(), detail_url=RowUrl(".detail"), shelf_url=RowUrl(".shelf"),
                           partial="catalog/_product_rows.html")

    @expose("/new", methods=["GET", "POST"])
    def create(self):
        """The new-product form; a failed save shows the message and writes nothing."""
        access.require(RESOURCE, "write")
        form = request.form if request.method == "POST" else request.args
        if request.method == "POST":
            product, error = attempt(lambda: products.create_product(
                _actor(), form.get("merchant_id"), forms.product_fields(form), forms.spec_value_ids(form),
                forms.params(form), forms.sku_defaults(form)))
            if error is None:
                flash(_("Product created with %(n)d SKU(s).", n=len(product.skus)), "success")
                return redirect(url_for(".detail", product_id=product.id))
        category = _category(form.get("category_id"))
        return self.render("catalog/product_new.html", form=form, category=category,
                           leaves=library.leaf_choices(), brands=_brands(active=True),
                           merchants=products.merchants_for(_actor()), **_attribute_context(category))

    @expose("/attributes")
    def attribute_fields(self):
        """HTMX: the spec and parameter fields of the chosen category."""
        category = _category(request.args.get("category_id"))
        return self.render("catalog/_attribute_fields.html", category=category, form=request.args,
                           with_specs=request.args.get("with_specs") == "1", chosen=set(), param_values={},
                           partial="catalog/_attribute_fields.html", **_attribute_context(category))

    @expose("/<int:product_id>", methods=["GET", "POST"])
    def detail(self, product_id):
        """The product page: SKUs, images, shelf, schedule and the edit form."""
        product = access.get_or_404(Product, product_id, RESOURCE, "read")
        form = None
        if request.method == "POST":
            access.get_or_404(Product, product_id, RESOURCE, "write")
            form = request.form
            _, error = attempt(lambda: products.update_product(_actor(), product, forms.product_fields(form),
                                                               forms.params(form)), saved())
            if error is None:
                return redirect(url_for(".detail", product_id=product_id))
            product = access.get_or_404(Product, product_id, RESOURCE, "read")
        return self._detail(product, form)

    def _detail(self, product, form):
        category = _category(form.get("category_id")) if form else product.category
        return self.render("catalog/product_detail.html", product=product, form=form, category=category,
                           leaves=library.leaf_choices(), brands=_brands(active=True),
                           param_values={str(p.attribute_id): str(p.value_id or p.text) for p in product.params},
                           chosen={sv.value_id for sv in product.spec_values},
                           more_values=_more_values(product),
                           scheduled_input=forms.utc_to_local_input(product.scheduled_on_at, current_user.timezone),
                           can_write=access.record_level(RESOURCE, product) >= access.WRITE,
                           review_required=review.review_required(), labels=status_labels(),
                           **_attribute_context(category))

    @expose("/<int:product_id>/shelf", methods=["POST"])
    def shelf(self, product_id):
        """HTMX toggle (on <-> off); a plain form post is redirected back."""
        product = access.get_or_404(Product, product_id, RESOURCE, "write")
        htmx = request.headers.get("HX-Request") == "true"
        _, error = attempt(lambda: shelf.toggle(_actor(), product), flash_error=not htmx)
        product = db.session.get(Product, product_id)
        if not htmx:
            return redirect(request.referrer or url_for(".detail", product_id=product_id))
        return self.render("catalog/_shelf_toggle.html", product=product, error=error, labels=status_labels(),
                           partial="catalog/_shelf_toggle.html")

    @expose("/bulk", methods=["POST"])
    def bulk(self):
        """On or off the shelf for the ticked products; skipped ones are listed with the reason."""
        access.require(RESOURCE, "write")
        result, error = attempt(lambda: shelf.bulk(_actor(), request.form.getlist("ids"),
                                                   request.form.get("action")))
        if error is None:
            flash(_("%(n)d product(s) changed.", n=len(result.done)), "success")
            for _product, why in result.skipped:
                flash(why, "warning")
        return redirect(request.referrer or url_for(".index"))

    @expose("/<int:product_id>/schedule", methods=["POST"])
    def schedule(self, product_id):
        """Set or clear the on-shelf time (typed in the user's time zone)."""
        product = access.get_or_404(Product, product_id, RESOURCE, "write")

        def action():
            when = None if request.form.get("clear") else forms.local_to_utc(request.form.get("scheduled_on"),
                                                                             current_user.timezone)
            return shelf.schedule(_actor(), product, when)
        attempt(action, saved())
        return redirect(url_for(".detail", product_id=product_id))

    @expose("/<int:product_id>/specs", methods=["POST"])
    def add_specs(self, product_id):
        """Add spec values; only the new combinations become SKUs."""
        product = access.get_or_404(Product, product_id, RESOURCE, "write")
        created, error = attempt(lambda: skus.add_spec_values(_actor(), product, forms.spec_value_ids(request.form),
                                                              forms.sku_defaults(request.form)))
        if error is None:
            flash(_("%(n)d SKU(s) added.", n=len(created)), "success")
        return redirect(url_for(".detail", product_id=product_id))


def _category(raw):
    try:
        return library.get_category(raw) if raw else None
    except CatalogError:
        return None


def _attribute_context(category):
    if category is None:
        return {"spec_attributes": [], "param_attributes": []}
    return {"spec_attributes": library.effective_attributes(category, SPEC),
            "param_attributes": library.effective_attributes(category, PARAM)}


def _more_values(product):
    """Per spec attribute the product uses, the values it has not chosen yet."""
    chosen = {sv.value_id for sv in product.spec_values}
    used = {sv.attribute_id for sv in product.spec_values}
    pairs = [(a, [v for v in a.values if v.id not in chosen])
             for a in library.effective_attributes(product.category, SPEC) if a.id in used]
    return [(a, values) for a, values in pairs if values]


def _brands(active=False):
    query = select(Brand).order_by(Brand.name_en)
    if active:
        query = query.where(Brand.active.is_(True))
    return db.session.execute(query).scalars().all()


def _merchants():
    """Merchants to filter by: only shown to users who see more than one."""
    if current_user.merchant_id is not None:
        return []
    return db.session.execute(access.scoped(select(Merchant).order_by(Merchant.code), Merchant)).scalars().all()

