"""The pages of a file import in two steps: upload a sheet, see what every row
would do and every row's problem, confirm (all rows or none). A plugin's
import view subclasses ``SheetImportView`` and says where its service is; the
catalog's product import has steps of its own (formats, categories)."""
from flask import abort, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user

from .extensions import db
from .views import PortalView

# multipart framing and the other fields around the file
FORM_OVERHEAD = 64 * 1024
SHOWN_ROWS = 500


class SheetImportView(PortalView):
    """Upload, preview, confirm. Subclasses set ``service`` (a module with
    ``COLUMNS``, ``MAX_BYTES``, ``MAX_ROWS``, ``size_label()``,
    ``too_large_message()`` and ``merchants_for(actor)``), ``error`` (the
    plugin's business error), ``failed`` (the error carrying the ``plan`` of a
    refused apply, a subclass of ``error``), the two templates, and the steps
    below."""

    level = "write"
    service = None
    error = failed = Exception
    upload_template = preview_template = None

    # -- the steps a subclass provides ------------------------------------------------

    def store(self, actor, file_storage, merchant_id):
        """Check and keep the uploaded file; the ``StoredFile``."""
        raise NotImplementedError

    def load(self, actor, file_id):
        """The stored file of this import the user uploaded, or None."""
        raise NotImplementedError

    def check(self, actor, stored):
        """The plan of what the file would do, with its row problems; writes nothing."""
        raise NotImplementedError

    def apply(self, actor, stored, form):
        """Apply every row (``failed`` with the plan when a row is refused); the plan."""
        raise NotImplementedError

    def done(self, stored, plan):
        """Where to go after applying, having flashed what was done."""
        raise NotImplementedError

    # -- the pages --------------------------------------------------------------------

    @staticmethod
    def actor():
        return current_user._get_current_object()

    def upload_page(self, error=None, status=200):
        service = self.service
        merchants = service.merchants_for(self.actor()) if current_user.merchant_id is None else []
        body = self.render(self.upload_template, error=error, columns=service.COLUMNS, merchants=merchants,
                           form=request.form, max_size=service.size_label(), max_rows=service.MAX_ROWS)
        body.status_code = status
        return body

    def preview_page(self, stored, plan, status=200):
        body = self.render(self.preview_template, stored=stored, plan=plan, shown=SHOWN_ROWS)
        body.status_code = status
        return body

    def _stored(self, file_id):
        stored = self.load(self.actor(), file_id)
        if stored is None:
            abort(404)
        return stored

    @expose("/", methods=["GET", "POST"])
    def index(self):
        """The upload form and the columns; a posted file is stored and its preview shown."""
        if request.method == "GET":
            return self.upload_page()
        # refuse an oversized body by its declared length, before reading it
        if (request.content_length or 0) > self.service.MAX_BYTES + FORM_OVERHEAD:
            return self.upload_page(self.service.too_large_message(""), 413)
        try:
            stored = self.store(self.actor(), request.files.get("file"), request.form.get("merchant_id"))
        except self.error as exc:
            db.session.rollback()
            return self.upload_page(str(exc), 400)
        db.session.commit()
        return redirect(url_for(".preview", file_id=stored.id))

    @expose("/<int:file_id>", methods=["GET"])
    def preview(self, file_id):
        """What the import would do, and every row's problems; nothing is written."""
        stored = self._stored(file_id)
        try:
            plan = self.check(self.actor(), stored)
        except self.error as exc:
            db.session.rollback()
            return self.upload_page(str(exc), 400)
        return self.preview_page(stored, plan)

    @expose("/<int:file_id>", methods=["POST"])
    def confirm(self, file_id):
        """Apply the checked file: every row, or none when a problem is found."""
        stored = self._stored(file_id)
        try:
            plan = self.apply(self.actor(), stored, request.form)
        except self.failed as exc:
            db.session.rollback()
            return self.preview_page(stored, exc.plan, 400)
        except self.error as exc:
            db.session.rollback()
            return self.upload_page(str(exc), 400)
        db.session.commit()
        return self.done(stored, plan)

