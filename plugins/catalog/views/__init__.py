"""The catalog's pages (Flask-Admin views): parse the request, call a service,
render. Every page lives under ``/catalog/``."""
from flask import flash
from flask_babel import gettext
from portal.events import EventRejected
from portal.extensions import db
from portal.i18n import N_

from ..services import CatalogError


def views():
    """The views the catalog adds to the menu (under "Catalog")."""
    from .images import ImagesView
    from .library import BrandsView, CategoriesView
    from .products import ProductsView
    from .review import ReviewView
    from .skus import SkusView
    from .transfer import ExportView, ImportView

    return [
        ProductsView(name=N_("Products"), endpoint="catalog_products", url="/catalog/products"),
        SkusView(name=N_("SKUs"), endpoint="catalog_skus", url="/catalog/skus"),
        ImagesView(name=N_("Images"), endpoint="catalog_images", url="/catalog/images"),
        ReviewView(name=N_("Product review"), endpoint="catalog_review", url="/catalog/review"),
        CategoriesView(name=N_("Categories"), endpoint="catalog_categories", url="/catalog/categories"),
        BrandsView(name=N_("Brands"), endpoint="catalog_brands", url="/catalog/brands"),
        ImportView(name=N_("Import products"), endpoint="catalog_import", url="/catalog/import"),
        ExportView(name=N_("Export products"), endpoint="catalog_export", url="/catalog/export"),
    ]


def attempt(action, success=None, flash_error=True):
    """Run ``action()`` and commit; on a ``CatalogError`` (or an event handler's
    ``EventRejected``) roll everything back and flash the message. Returns
    ``(result, error message or None)``."""
    try:
        result = action()
        db.session.commit()
    except (CatalogError, EventRejected) as exc:
        db.session.rollback()
        if flash_error:  # HTMX partials show the error in place instead
            flash(str(exc), "error")
        return None, str(exc)
    if success:
        flash(success, "success")
    return result, None


def saved():
    """The flash text after a successful save."""
    return gettext("Saved.")
