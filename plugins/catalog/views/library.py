"""The shared library pages: the category tree with each category's
attributes, and brands. Everyone with ``catalog.library`` read may look;
platform staff with write change them."""
from flask import abort, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from portal import access
from portal.extensions import db
from portal.views import PortalView
from sqlalchemy import select

from ..models import Attribute, Brand, Category
from ..services import library
from . import attempt, saved

RESOURCE = "catalog.library"


def _actor():
    return current_user._get_current_object()


def _get(model, ident):
    row = db.session.get(model, ident)
    if row is None:
        abort(404)
    return row


class LibraryView(PortalView):
    resource = RESOURCE

    def can_edit(self):
        """For templates: show the editing controls?"""
        return current_user.merchant_id is None and access.has_level(RESOURCE, "write")

    def _guard_write(self):
        access.require(RESOURCE, "write")


class CategoriesView(LibraryView):
    @expose("/")
    def index(self):
        """The category tree, with the form for a new category."""
        return self.render("catalog/categories.html", categories=library.tree())

    @expose("/new", methods=["POST"])
    def create(self):
        """Add a category."""
        self._guard_write()
        form = request.form
        category, error = attempt(lambda: library.create_category(
            _actor(), form.get("name_en"), form.get("name_zh"), form.get("parent_id") or None), saved())
        return redirect(url_for(".detail", category_id=category.id) if error is None else url_for(".index"))

    @expose("/<int:category_id>", methods=["GET", "POST"])
    def detail(self, category_id):
        """A category: its fields, its move form and its attributes."""
        category = _get(Category, category_id)
        if request.method == "POST":
            self._guard_write()
            form = request.form
            attempt(lambda: library.update_category(_actor(), category, form.get("name_en"), form.get("name_zh"),
                                                    form.get("position"), form.get("active") == "1"), saved())
            return redirect(url_for(".detail", category_id=category_id))
        branch = set(db.session.execute(library.descendants_query(category)).scalars())
        return self.render("catalog/category_detail.html", category=category,
                           attributes=library.effective_attributes(category),
                           move_targets=[c for c in library.tree() if c.id not in branch])

    @expose("/<int:category_id>/move", methods=["POST"])
    def move(self, category_id):
        """Move the category with its branch."""
        self._guard_write()
        category = _get(Category, category_id)
        attempt(lambda: library.move_category(_actor(), category, request.form.get("parent_id") or None), saved())
        return redirect(url_for(".detail", category_id=category_id))

    @expose("/<int:category_id>/delete", methods=["POST"])
    def delete(self, category_id):
        """Delete an empty category."""
        self._guard_write()
        category = _get(Category, category_id)
        _, error = attempt(lambda: library.delete_category(_actor(), category), saved())
        return redirect(url_for(".index") if error is None else url_for(".detail", category_id=category_id))

    @expose("/<int:category_id>/attributes", methods=["POST"])
    def add_attribute(self, category_id):
        """Declare an attribute on the category."""
        self._guard_write()
        category, form = _get(Category, category_id), request.form
        attempt(lambda: library.create_attribute(
            _actor(), category, form.get("code"), form.get("name_en"), form.get("name_zh"), form.get("kind"),
            library.parse_values(form.get("values"))), saved())
        return redirect(url_for(".detail", category_id=category_id))

    @expose("/attributes/<int:attribute_id>/values", methods=["POST"])
    def add_value(self, attribute_id):
        """Add an allowed value to an attribute."""
        self._guard_write()
        attribute, form = _get(Attribute, attribute_id), request.form
        attempt(lambda: library.add_attribute_value(_actor(), attribute, form.get("value_en"),
                                                    form.get("value_zh")), saved())
        return redirect(url_for(".detail", category_id=attribute.category_id))

    @expose("/attributes/<int:attribute_id>/delete", methods=["POST"])
    def delete_attribute(self, attribute_id):
        """Delete an attribute no product uses."""
        self._guard_write()
        attribute = _get(Attribute, attribute_id)
        category_id = attribute.category_id
        attempt(lambda: library.delete_attribute(_actor(), attribute), saved())
        return redirect(url_for(".detail", category_id=category_id))


class BrandsView(LibraryView):
    @expose("/")
    def index(self):
        """Every brand, with the form for a new one."""
        brands = db.session.execute(select(Brand).order_by(Brand.name_en)).scalars().all()
        return self.render("catalog/brands.html", brands=brands)

    @expose("/new", methods=["POST"])
    def create(self):
        """Add a brand (with its logo)."""
        self._guard_write()
        form = request.form
        attempt(lambda: library.create_brand(_actor(), form.get("name_en"), form.get("name_zh"),
                                             _logo(form)), saved())
        return redirect(url_for(".index"))

    @expose("/<int:brand_id>", methods=["GET", "POST"])
    def detail(self, brand_id):
        """A brand's fields and logo."""
        brand = _get(Brand, brand_id)
        if request.method == "POST":
            self._guard_write()
            form = request.form
            attempt(lambda: library.update_brand(_actor(), brand, form.get("name_en"), form.get("name_zh"),
                                                 form.get("active") == "1", _logo(form)), saved())
            return redirect(url_for(".detail", brand_id=brand_id))
        return self.render("catalog/brand_detail.html", brand=brand)


def _logo(form):
    """The uploaded logo stored through ``portal.uploads``, or None."""
    from ..services.images import store_logo
    return store_logo(request.files.get("logo"), _actor())
