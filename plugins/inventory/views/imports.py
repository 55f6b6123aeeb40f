"""Stock count import: upload a file, see every row's difference and problem,
confirm (all rows or none)."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.views import PortalView

from ..services import imports
from ..services.errors import InventoryError

RESOURCE = "inventory.adjust"
# multipart framing and the other fields around the file
FORM_OVERHEAD = 64 * 1024
SHOWN_ROWS = 500


def _actor():
    return current_user._get_current_object()


class CountImportView(PortalView):
    """Upload, preview and confirm counted stock (merchant staff: their own SKUs)."""

    resource = RESOURCE
    level = "write"

    def _upload_page(self, error=None, status=200):
        merchants = imports.merchants_for(_actor()) if current_user.merchant_id is None else []
        body = self.render("inventory/import.html", error=error, columns=imports.COLUMNS, merchants=merchants,
                           form=request.form, max_size=imports.size_label(), max_rows=imports.MAX_ROWS)
        body.status_code = status
        return body

    def _preview_page(self, stored, plan, status=200):
        body = self.render("inventory/import_preview.html", stored=stored, plan=plan, shown=SHOWN_ROWS)
        body.status_code = status
        return body

    def _stored(self, file_id):
        stored = imports.count_file(_actor(), file_id)
        if stored is None:
            abort(404)
        return stored

    @expose("/", methods=["GET", "POST"])
    def index(self):
        """The upload form and the columns; a posted file is stored and its preview shown."""
        if request.method == "GET":
            return self._upload_page()
        # refuse an oversized body by its declared length, before reading it
        if (request.content_length or 0) > imports.MAX_BYTES + FORM_OVERHEAD:
            return self._upload_page(imports.too_large_message(""), 413)
        try:
            stored = imports.store_count_file(_actor(), request.files.get("file"), request.form.get("merchant_id"))
        except InventoryError as exc:
            db.session.rollback()
            return self._upload_page(str(exc), 400)
        db.session.commit()
        return redirect(url_for(".preview", file_id=stored.id))

    @expose("/<int:file_id>", methods=["GET"])
    def preview(self, file_id):
        """What the import would change, and every row's problems; nothing is written."""
        stored = self._stored(file_id)
        try:
            plan = imports.check_counts(_actor(), stored)
        except InventoryError as exc:
            db.session.rollback()
            return self._upload_page(str(exc), 400)
        return self._preview_page(stored, plan)

    @expose("/<int:file_id>", methods=["POST"])
    def confirm(self, file_id):
        """Apply the checked file: every row, or none when a problem is found."""
        stored = self._stored(file_id)
        as_of = request.form.get("as_of", "")
        try:
            plan = imports.apply_counts(_actor(), stored, int(as_of) if as_of.isdigit() else None)
        except imports.ImportFailed as exc:
            db.session.rollback()
            return self._preview_page(stored, exc.plan, 400)
        except InventoryError as exc:
            db.session.rollback()
            return self._upload_page(str(exc), 400)
        db.session.commit()
        flash(_("Counts from %(name)s saved: %(rows)s row(s), %(changed)s changed (%(added)s unit(s) added, "
                "%(removed)s removed).", name=stored.original_name, rows=len(plan.rows), changed=len(plan.changed),
                added=plan.units_added, removed=plan.units_removed), "success")
        return redirect(url_for("inventory_stock.index"))
