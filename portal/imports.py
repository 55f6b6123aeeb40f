"""What every file import tells its user: the problems found, row by row."""
import io
from dataclasses import dataclass

from flask_babel import gettext as _


@dataclass
class RowError:
    """What is wrong, where: ``line`` as a spreadsheet numbers it (the header
    is row 1), the column's name as in the file's header ("" for the whole row)."""

    line: int
    column: str
    message: str

    def __str__(self):
        if self.column:
            return _("Row %(row)s, column %(column)s: %(problem)s", row=self.line, column=self.column,
                     problem=self.message)
        return _("Row %(row)s: %(problem)s", row=self.line, problem=self.message)


# -- a spreadsheet uploaded for a two-step import (portal.sheet_import) ---------------

def size_label(max_bytes):
    """A size limit for people: "2 MB"."""
    if max_bytes < 1024 * 1024:
        return f"{max_bytes // 1024} KB"
    return f"{max_bytes / (1024 * 1024):g} MB"


def store_sheet(actor, file_storage, kind, merchant_id, max_bytes, refused, too_large, empty):
    """Keep an uploaded CSV (UTF-8, with or without a BOM) or XLSX as a
    ``StoredFile`` of ``kind``; at most ``max_bytes`` are read. Refusals raise
    ``refused`` (the import's error) with a message; ``too_large(name)`` and
    ``empty(name)`` say what the import needs. Flushed; the caller commits."""
    from werkzeug.datastructures import FileStorage

    from . import uploads
    if file_storage is None or not getattr(file_storage, "filename", ""):
        raise refused(_("File: choose a CSV or Excel (.xlsx) file."))
    name = file_storage.filename.replace("\\", "/").rsplit("/", 1)[-1]
    data = file_storage.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise refused(too_large(name))
    if not data:
        raise refused(empty(name))
    if not data.startswith(b"PK\x03\x04"):  # not a workbook: UTF-8 text with something in it
        if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise refused(_("%(name)s is not a CSV file; save it as \"CSV UTF-8\" or as an Excel workbook "
                            "(.xlsx).", name=name))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise refused(_("%(name)s is not UTF-8 text; save it as \"CSV UTF-8\" or as an Excel workbook "
                            "(.xlsx).", name=name)) from None
        if not text.strip():
            raise refused(empty(name))
    try:
        return uploads.store_upload(FileStorage(io.BytesIO(data), filename=name), kind, merchant_id=merchant_id,
                                    actor=actor, allowed=("text/csv", uploads.XLSX), max_bytes=max_bytes)
    except uploads.UploadRejected as exc:
        raise refused(str(exc)) from None


def uploaded_sheet(actor, file_id, kind):
    """The stored file of ``kind`` that ``actor`` uploaded, or None (another
    user's file, or another kind of file, is not found)."""
    from .extensions import db
    from .models import StoredFile
    stored = db.session.get(StoredFile, file_id)
    if stored is None or stored.kind != kind or actor is None or stored.created_by_id != actor.id:
        return None
    return stored


# -- the merchant an import is for ---------------------------------------------------

def import_merchant(actor, merchant_id, resource, refused, choose, denied):
    """The merchant whose records of ``resource`` an import writes: merchant
    staff always their own; platform staff choose one whose records they may
    write. ``None`` is the system. Refusals raise ``refused`` with ``choose``
    (no such merchant) or ``denied(code)`` (one the user may not write for)."""
    from . import access
    from .extensions import db
    from .models import Merchant
    if actor is not None:
        access.require(resource, "write", actor)
        if actor.merchant_id is not None:
            merchant_id = actor.merchant_id
    merchant = db.session.get(Merchant, int(merchant_id)) if str(merchant_id or "").isdigit() else None
    if merchant is None:
        raise refused(choose)
    if actor is not None and access.access(actor).record_level(resource, {"merchant": merchant.id}) < access.WRITE:
        raise refused(denied(merchant.code))
    return merchant


def writable_merchants(actor, resource):
    """The merchants, by code, for whom ``actor`` may write records of ``resource``:
    the choice a platform user is offered on an import's upload form."""
    from sqlalchemy import select

    from . import access
    from .extensions import db
    from .models import Merchant
    query = access.scoped(select(Merchant).order_by(Merchant.code), Merchant, "write", user=actor)
    return [m for m in db.session.execute(query).scalars()
            if access.access(actor).record_level(resource, {"merchant": m.id}) >= access.WRITE]
