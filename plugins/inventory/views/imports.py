"""Stock count import: upload a file, see every row's difference and problem,
confirm (all rows or none)."""
from flask import flash, redirect, url_for
from flask_babel import gettext as _

from portal.sheet_import import SheetImportView

from ..services import imports
from ..services.errors import InventoryError


class CountImportView(SheetImportView):
    """Upload, preview and confirm counted stock (merchant staff: their own SKUs)."""

    resource = "inventory.adjust"
    service = imports
    error, failed = InventoryError, imports.ImportFailed
    upload_template, preview_template = "inventory/import.html", "inventory/import_preview.html"

    def store(self, actor, file_storage, merchant_id):
        return imports.store_count_file(actor, file_storage, merchant_id)

    def load(self, actor, file_id):
        return imports.count_file(actor, file_id)

    def check(self, actor, stored):
        return imports.check_counts(actor, stored)

    def apply(self, actor, stored, form):
        # the latest ledger entry the preview saw: stock changed since refuses the file
        as_of = form.get("as_of", "")
        return imports.apply_counts(actor, stored, int(as_of) if as_of.isdigit() else None)

    def done(self, stored, plan):
        flash(_("Counts from %(name)s saved: %(rows)s row(s), %(changed)s changed (%(added)s unit(s) added, "
                "%(removed)s removed).", name=stored.original_name, rows=len(plan.rows), changed=len(plan.changed),
                added=plan.units_added, removed=plan.units_removed), "success")
        return redirect(url_for("inventory_stock.index"))
