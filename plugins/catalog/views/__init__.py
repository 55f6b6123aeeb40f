"""The catalog's pages (Flask-Admin views): parse the request, call a service,
render. Every page lives under ``/catalog/``."""
from flask import flash, url_for
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


def status_labels():
    """The review and shelf words the badges and toggles show, translated once
    per page rather than once per row."""
    return {
        "review": {"approved": gettext("Approved"), "pending": gettext("Waiting for review"),
                   "rejected": gettext("Rejected")},
        "shelf": {"on": gettext("On the shelf"), "off": gettext("Off the shelf"),
                  "take_off": gettext("Take off"), "put_on": gettext("Put on")},
    }


class RowUrl:
    """``url_for(endpoint, <key>=id)`` for every row of a list, built once per
    page: werkzeug builds each URL by walking the rule, which adds up over 50 rows."""

    _SENTINEL = 2147483647  # an int, so ``<int:...>`` routes accept it

    def __init__(self, endpoint, key="product_id"):
        head, found, tail = url_for(endpoint, **{key: self._SENTINEL}).partition(str(self._SENTINEL))
        if not found:
            raise ValueError(f"{endpoint}: the URL does not contain {key}")
        self.head, self.tail = head, tail

    def __call__(self, record_id):
        """The URL for one record."""
        return f"{self.head}{int(record_id)}{self.tail}"
