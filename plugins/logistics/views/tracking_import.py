"""Tracking import: upload a file of tracking events, preview every row and
problem, confirm (all rows or none)."""
from flask import flash, redirect, url_for
from flask_babel import gettext as _

from portal.sheet_import import SheetImportView

from ..services import tracking_import
from ..services.errors import LogisticsError


class TrackingImportView(SheetImportView):
    """Upload, preview and confirm tracking events (merchant staff: their own shipments)."""

    resource = "logistics.shipment"
    service = tracking_import
    error, failed = LogisticsError, tracking_import.ImportFailed
    upload_template, preview_template = "logistics/tracking_import.html", "logistics/tracking_import_preview.html"

    def store(self, actor, file_storage, merchant_id):
        return tracking_import.store_file(actor, file_storage, merchant_id)

    def load(self, actor, file_id):
        return tracking_import.stored_file(actor, file_id)

    def check(self, actor, stored):
        return tracking_import.check_events(actor, stored)

    def apply(self, actor, stored, form):
        return tracking_import.apply_events(actor, stored)

    def done(self, stored, plan):
        flash(_("Recorded %(rows)s tracking event(s) from %(name)s.", rows=len(plan.rows), name=stored.original_name),
              "success")
        return redirect(url_for("logistics_shipments.index"))
