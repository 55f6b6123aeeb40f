"""Uploaded files: checked, cleaned and stored once by content.

The type comes from the bytes (magic numbers), never from the client's file name
or Content-Type. Images are decoded and re-encoded with Pillow, which drops EXIF
(GPS position, camera serial, ...) and proves the file is a real image; a pixel
limit refuses decompression bombs before any pixel is decoded. Files live under
``PORTAL_UPLOAD_DIR`` at a path made from their SHA-256, so the same content is
kept once. Every check runs before anything is written: a refused upload leaves
no file and no row.
"""
import base64
import hashlib
import io
import os
import tempfile
import zipfile

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.security import safe_join

from . import audit
from .extensions import db
from .models import StoredFile

IMAGE_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
# phone cameras write JPEGs with a second picture inside, which Pillow calls MPO
DECODED_FORMATS = {"image/png": {"PNG"}, "image/jpeg": {"JPEG", "MPO"}, "image/webp": {"WEBP"}}
EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp",
              "application/pdf": ".pdf", "text/csv": ".csv", "text/plain": ".txt",
              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DEFAULT_MAX_PIXELS = 40_000_000  # a 40-megapixel photo; bombs claim far more
THUMBNAIL_DIR = "thumbnails"


class UploadRejected(ValueError):
    """The upload was refused; the message names the problem for the user."""


def store_upload(file_storage, kind, merchant_id=None, actor=None,
                 allowed=("image/png", "image/jpeg", "image/webp"), max_bytes=None):
    """Check and keep an uploaded file (a werkzeug ``FileStorage``); return the
    new ``StoredFile`` row (flushed, not committed) or raise ``UploadRejected``.

    ``allowed`` lists the content types accepted (images, ``text/csv``,
    ``text/plain``, ``application/pdf``, xlsx); ``max_bytes`` overrides
    ``PORTAL_UPLOAD_MAX_BYTES``."""
    limit = max_bytes if max_bytes is not None else current_app.config["PORTAL_UPLOAD_MAX_BYTES"]
    name = _clean_name(getattr(file_storage, "filename", "") or "")
    data = _read_limited(file_storage.stream, limit, name)
    content_type = _allowed_type(sniff(data), allowed, name)
    width = height = None
    if content_type in IMAGE_TYPES:
        data, width, height = clean_image(data, content_type, name)
    digest = hashlib.sha256(data).hexdigest()
    relative = _content_path(digest, content_type)
    _write_once(relative, data)
    stored = StoredFile(kind=kind, merchant_id=merchant_id, original_name=name,
                        content_type=content_type, size=len(data), sha256=digest, path=relative,
                        width=width, height=height, created_by_id=getattr(actor, "id", None))
    db.session.add(stored)
    db.session.flush()
    audit.record("file.uploaded", target=f"file:{stored.id}", merchant_id=merchant_id, actor=actor,
                 summary={"kind": kind, "name": name, "type": content_type, "size": len(data),
                          "sha256": digest})
    return stored


def _clean_name(filename):
    """The client's file name, kept only to show it: no folders, no control characters."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable()).strip()[:255]


def _read_limited(stream, limit, name):
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise UploadRejected(_("%(name)s is too large: the limit is %(limit)s.", name=name or _("The file"),
                               limit=_human(limit)))
    if not data:
        raise UploadRejected(_("%(name)s is empty.", name=name or _("The file")))
    return data


def _human(size):
    if size < 1024:
        return _("%(size)s bytes", size=size)
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def sniff(data):
    """The content type the bytes show (magic numbers), ``text/plain`` for
    UTF-8 text, or None when unknown."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(b"%PDF-"):
        return "application/pdf"
    if data.startswith(b"PK\x03\x04") and _is_xlsx(data):
        return XLSX
    if b"\x00" not in data:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return "text/plain"
    return None


def _is_xlsx(data):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return False
    return "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names)


def _allowed_type(sniffed, allowed, name):
    # text has no magic number: the caller's purpose says whether it is CSV
    if sniffed == "text/plain" and "text/csv" in allowed:
        sniffed = "text/csv"
    if sniffed is None or sniffed not in allowed:
        shown = sniffed or _("an unknown format")
        wanted = ", ".join(_label(t) for t in allowed)
        raise UploadRejected(_("%(name)s is not an allowed type (its content is %(content)s; allowed: %(allowed)s).",
                               name=name or _("The file"), content=_label(shown), allowed=wanted))
    return sniffed


def _label(content_type):
    return {XLSX: "Excel (xlsx)", "text/csv": "CSV", "text/plain": _("text"),
            "application/pdf": "PDF"}.get(content_type, content_type.split("/")[-1].upper()
                                          if "/" in content_type else content_type)


def clean_image(data, content_type, name="", max_pixels=None):
    """Decode an image, refuse it when corrupt or too many pixels, and
    re-encode it in the same format without metadata. Returns
    ``(bytes, width, height)``."""
    limit = max_pixels or current_app.config.get("PORTAL_UPLOAD_MAX_PIXELS", DEFAULT_MAX_PIXELS)
    label = name or _("The image")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in DECODED_FORMATS[content_type]:
                raise UploadRejected(_("%(name)s is a corrupt image (its content does not match its format).",
                                       name=label))
            if image.width * image.height > limit:
                raise UploadRejected(_("%(name)s has too many pixels (%(width)s×%(height)s); the limit is %(limit)s pixels.",
                                       name=label, width=image.width, height=image.height, limit=f"{limit:,}"))
            image.load()
            # keep the photo the way up it was taken before its EXIF orientation is dropped
            upright = ImageOps.exif_transpose(image)
            return _encode(upright, content_type, image.info.get("icc_profile")), upright.width, upright.height
    except UploadRejected:
        raise
    except Image.DecompressionBombError:
        raise UploadRejected(_("%(name)s has too many pixels; the limit is %(limit)s pixels.",
                               name=label, limit=f"{limit:,}")) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UploadRejected(_("%(name)s is a corrupt image and cannot be read (%(error)s).",
                               name=label, error=exc)) from None


def _encode(image, content_type, icc_profile):
    """Save pixels only (plus the colour profile, which is not personal data)."""
    fmt = IMAGE_TYPES[content_type]
    options = {"icc_profile": icc_profile} if icc_profile else {}
    kept = {k: image.info[k] for k in ("transparency",) if k in image.info}
    image = image.copy()
    image.info = kept  # JPEG comments and the like would be copied from here when saving
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L", "CMYK"):
            image = image.convert("RGB")
        options.update(quality=90, optimize=True)
    elif fmt == "PNG":
        options.update(optimize=True)
    else:
        options.update(quality=90)
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


# -- storage -------------------------------------------------------------------------

def upload_root():
    return current_app.config["PORTAL_UPLOAD_DIR"]


def _content_path(digest, content_type):
    return f"{digest[:2]}/{digest[2:4]}/{digest}{EXTENSIONS.get(content_type, '')}"


def _absolute(relative):
    path = safe_join(upload_root(), relative)
    if path is None:
        raise ValueError(f"stored path {relative!r} is outside the upload folder")
    return path


def _write_once(relative, data):
    """Write the content unless the same bytes are already stored; a temporary
    file and rename, so a reader never sees half a file."""
    path = _absolute(relative)
    if os.path.exists(path):
        return path
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def stored_path(stored_file):
    """The absolute path of a stored file on disk."""
    return _absolute(stored_file.path)


def open_stored(stored_file):
    """The stored content, opened for reading in binary mode (close it)."""
    return open(stored_path(stored_file), "rb")


def data_url(stored_file):
    """The file as a ``data:`` URL, the way to put an uploaded logo into a PDF
    (the document fetcher loads nothing else from outside ``/static``)."""
    with open_stored(stored_file) as fh:
        encoded = base64.b64encode(fh.read()).decode("ascii")
    return f"data:{stored_file.content_type};base64,{encoded}"


def thumbnail(stored_file, size):
    """The path of a thumbnail of a stored image that fits in ``size`` (an int
    or ``(width, height)``), in the image's own format, made once and reused."""
    if stored_file.content_type not in IMAGE_TYPES:
        raise ValueError(f"{stored_file.original_name or stored_file.path} is not an image")
    width, height = (size, size) if isinstance(size, int) else size
    if width <= 0 or height <= 0:
        raise ValueError(f"thumbnail size must be positive, got {size!r}")
    relative = (f"{THUMBNAIL_DIR}/{stored_file.sha256[:2]}/{stored_file.sha256}-{width}x{height}"
                f"{EXTENSIONS[stored_file.content_type]}")
    path = _absolute(relative)
    if os.path.exists(path):
        return path
    with open_stored(stored_file) as fh, Image.open(fh) as image:
        image.thumbnail((width, height), Image.Resampling.LANCZOS)
        data = _encode(image, stored_file.content_type, image.info.get("icc_profile"))
    return _write_once(relative, data)
