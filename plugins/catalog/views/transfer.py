"""Import and export pages: upload a file, see the preview with every row's
problems, confirm (all rows or none); download the product list as CSV or XLSX."""
import os
import tempfile

from flask import Response, abort, flash, redirect, request, send_file, stream_with_context, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from portal import access
from portal.extensions import db
from portal.uploads import XLSX
from portal.views import PortalView

from ..services import CatalogError, exports, imports, library, portal_format, products, queries

RESOURCE = "catalog.product"
# multipart framing and the other fields around the file
FORM_OVERHEAD = 64 * 1024


def _actor():
    return current_user._get_current_object()


def type_map(values):
    """``{Shopify Type: category id}`` from ``map.<type>`` fields."""
    return {key[4:]: value for key, value in values.items() if key.startswith("map.") and value}


class ImportView(PortalView):
    """Upload, preview and confirm an import (merchant staff: into their own store)."""

    resource = RESOURCE
    level = "write"

    def _upload_page(self, error=None, status=200):
        body = self.render("catalog/import.html", error=error, columns=portal_format.COLUMNS,
                           merchants=products.merchants_for(_actor()), form=request.form,
                           can_export=access.has_level(RESOURCE, "manage"),
                           max_mb=imports.MAX_BYTES // (1024 * 1024), max_rows=imports.MAX_ROWS)
        body.status_code = status
        return body

    @expose("/", methods=["GET", "POST"])
    def index(self):
        """The upload form and the columns of the portal's format; a posted
        file is stored and its preview shown."""
        if request.method == "GET":
            return self._upload_page()
        # refuse an oversized body by its declared length, before reading it
        if (request.content_length or 0) > imports.MAX_BYTES + FORM_OVERHEAD:
            return self._upload_page(imports.too_large_message(""), 413)
        fmt = request.form.get("format", "portal")
        try:
            stored, encoding = imports.store_import_file(_actor(), request.files.get("file"),
                                                         request.form.get("merchant_id"))
        except CatalogError as exc:
            db.session.rollback()
            return self._upload_page(str(exc), 400)
        db.session.commit()
        if encoding not in (None, "UTF-8"):
            flash(_("%(name)s was read as %(encoding)s text and converted to UTF-8; check the names in the preview.",
                    name=stored.original_name, encoding=encoding), "info")
        return redirect(url_for(".preview", file_id=stored.id, format=fmt if fmt in imports.FORMATS else "portal"))

    def _stored(self, file_id):
        stored = imports.import_file(_actor(), file_id)
        if stored is None:
            abort(404)
        return stored

    @expose("/<int:file_id>", methods=["GET"])
    def preview(self, file_id):
        """What the import would do, and every row's problems; nothing is written."""
        stored = self._stored(file_id)
        fmt = request.args.get("format", "portal")
        mapping = type_map(request.args)
        try:
            plan = imports.check_file(_actor(), stored, fmt, mapping)
        except CatalogError as exc:
            db.session.rollback()
            return self._upload_page(str(exc), 400)
        return self._preview_page(stored, fmt, mapping, plan)

    def _preview_page(self, stored, fmt, mapping, plan, status=200):
        body = self.render("catalog/import_preview.html", stored=stored, fmt=fmt, mapping=mapping, plan=plan,
                           issues=plan.issues, leaves=library.leaf_choices() if fmt == "shopify" else [])
        body.status_code = status
        return body

    @expose("/<int:file_id>", methods=["POST"])
    def confirm(self, file_id):
        """Import the checked file: every row, or none when a problem is found."""
        stored = self._stored(file_id)
        fmt = request.form.get("format", "portal")
        mapping = type_map(request.form)
        try:
            plan = imports.run_import(_actor(), stored, fmt, mapping)
        except imports.ImportFailed as exc:
            db.session.rollback()
            return self._preview_page(stored, fmt, mapping, exc.plan, 400)
        except CatalogError as exc:
            db.session.rollback()
            return self._upload_page(str(exc), 400)
        db.session.commit()
        flash(_("Imported %(name)s: %(created)s product(s) created, %(updated)s updated, %(unchanged)s unchanged; "
                "%(skus)s SKU(s) created, %(changed)s changed.", name=stored.original_name,
                created=plan.count("create"), updated=plan.count("update"), unchanged=plan.count("unchanged"),
                skus=plan.skus_created, changed=plan.skus_updated), "success")
        return redirect(url_for("catalog_products.index"))


class ExportView(PortalView):
    """The product list as a file; exporting needs ``manage``, as the access levels say."""

    resource = RESOURCE
    level = "manage"
    visible_in_menu = False

    @expose("/")
    def index(self):
        """The products of the list's filters as a CSV or XLSX download."""
        fmt = request.args.get("format", "csv")
        if fmt not in ("csv", "xlsx"):
            abort(404)
        export = exports.Export(_actor(), queries.ProductFilters.from_args(request.args))
        export.audit(fmt)
        db.session.commit()
        if fmt == "csv":
            response = Response(stream_with_context(exports.csv_chunks(export)), mimetype="text/csv")
            response.headers["Content-Disposition"] = "attachment; filename=products.csv"
            return response
        fd, path = tempfile.mkstemp(suffix=".xlsx", prefix="catalog-export-")
        os.close(fd)
        try:
            exports.write_xlsx_file(export, path)
            handle = open(path, "rb")
        finally:
            os.unlink(path)  # an open handle keeps the content until it is sent
        return send_file(handle, mimetype=XLSX, as_attachment=True, download_name="products.xlsx")
