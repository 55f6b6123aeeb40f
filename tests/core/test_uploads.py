"""Uploads: type from the bytes, size and pixel limits, metadata stripped,
stored once by content, nothing written when refused."""
import io
import os

import pytest
from PIL import ExifTags, Image
from PIL.PngImagePlugin import PngInfo
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from portal.models import AuditLog, StoredFile
from portal.uploads import UploadRejected, data_url, open_stored, store_upload, thumbnail


@pytest.fixture()
def upload_dir(app, tmp_path, monkeypatch):
    """A fresh upload folder per test, to see exactly what was written."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "PORTAL_UPLOAD_DIR", str(folder))
    return folder


def files_in(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def upload(data, filename="file.bin", content_type="application/octet-stream"):
    return FileStorage(stream=io.BytesIO(data), filename=filename, content_type=content_type)


def image_bytes(fmt="PNG", size=(40, 20), color=(200, 30, 30), **save):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format=fmt, **save)
    return out.getvalue()


def photo_with_gps():
    """A JPEG the way a phone writes it: camera, GPS position, a comment,
    and an orientation tag saying "rotate 90°"."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "SpyCam"
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (31.0, 13.0, 25.0)
    return image_bytes("JPEG", size=(40, 20), exif=exif.tobytes(), comment=b"SECRET-COMMENT")


def count(db, model):
    return db.session.execute(select(func.count()).select_from(model)).scalar()


def test_exif_and_gps_are_removed_and_the_photo_stays_upright(db, upload_dir):
    original = photo_with_gps()
    assert b"SpyCam" in original and b"SECRET-COMMENT" in original
    stored = store_upload(upload(original, "IMG_0001.jpg", "image/jpeg"), "catalog.image")
    with open_stored(stored) as fh:
        data = fh.read()
    assert b"SpyCam" not in data and b"SECRET-COMMENT" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert image.size == (20, 40)  # turned the way the orientation tag said, before dropping it
    assert (stored.content_type, stored.width, stored.height) == ("image/jpeg", 20, 40)
    assert stored.size == len(data) and stored.original_name == "IMG_0001.jpg"


def test_png_text_chunks_are_removed(db, upload_dir):
    info = PngInfo()
    info.add_text("Author", "Secret Person")
    stored = store_upload(upload(image_bytes("PNG", pnginfo=info), "a.png", "image/png"), "logo")
    with open_stored(stored) as fh:
        assert b"Secret Person" not in fh.read()


def test_type_comes_from_the_content_not_the_name_or_header(db, upload_dir):
    stored = store_upload(upload(image_bytes("PNG"), "photo.jpg", "image/jpeg"), "logo")
    assert stored.content_type == "image/png"
    assert stored.path.endswith(".png")
    webp = store_upload(upload(image_bytes("WEBP"), "x.png", "image/png"), "logo")
    assert webp.content_type == "image/webp"


def test_a_renamed_text_file_is_refused_and_nothing_is_written(db, upload_dir):
    files, audits = count(db, StoredFile), count(db, AuditLog)
    fake = upload(b"just some text, not a picture\n", "holiday.png", "image/png")
    with pytest.raises(UploadRejected, match=r"holiday\.png is not an allowed type.*text"):
        store_upload(fake, "logo")
    assert files_in(upload_dir) == []
    assert (count(db, StoredFile), count(db, AuditLog)) == (files, audits)


def test_a_png_header_on_garbage_is_refused_as_corrupt(db, upload_dir):
    broken = image_bytes("PNG")[:40] + b"\x00garbage" * 20
    with pytest.raises(UploadRejected, match="corrupt image"):
        store_upload(upload(broken, "broken.png"), "logo")
    assert files_in(upload_dir) == []


def test_too_large_is_refused_by_call_limit_and_by_config(app, db, upload_dir, monkeypatch):
    out = io.BytesIO()
    Image.frombytes("RGB", (100, 100), os.urandom(30_000)).save(out, format="PNG")  # noise: ~30 KB
    data = out.getvalue()
    with pytest.raises(UploadRejected, match=r"big\.png is too large: the limit is 100 bytes"):
        store_upload(upload(data, "big.png"), "logo", max_bytes=100)
    monkeypatch.setitem(app.config, "PORTAL_UPLOAD_MAX_BYTES", 1024)
    with pytest.raises(UploadRejected, match=r"too large: the limit is 1\.0 KB"):
        store_upload(upload(data, "big.png"), "logo")
    assert files_in(upload_dir) == []
    assert store_upload(upload(data, "big.png"), "logo", max_bytes=len(data)).size > 0


def test_too_many_pixels_is_refused_before_decoding(app, db, upload_dir, monkeypatch):
    monkeypatch.setitem(app.config, "PORTAL_UPLOAD_MAX_PIXELS", 10_000)
    # a 1-bit 3000x3000 picture compresses to a few KB: small file, many pixels
    out = io.BytesIO()
    Image.new("1", (3000, 3000)).save(out, format="PNG")
    assert len(out.getvalue()) < 10_000
    with pytest.raises(UploadRejected, match=r"too many pixels \(3000×3000\)"):
        store_upload(upload(out.getvalue(), "bomb.png"), "logo")
    assert files_in(upload_dir) == []


def test_empty_file_is_refused(db, upload_dir):
    with pytest.raises(UploadRejected, match="empty"):
        store_upload(upload(b"", "nothing.csv"), "import", allowed=("text/csv",))


def test_csv_and_pdf_only_when_asked(db, upload_dir):
    csv = "sku,qty\nA-1,3\n商品,2\n".encode()
    stored = store_upload(upload(csv, "stock.csv", "text/csv"), "inventory.import", allowed=("text/csv",))
    assert (stored.content_type, stored.width) == ("text/csv", None)
    with open_stored(stored) as fh:
        assert fh.read() == csv  # text is kept as sent
    with pytest.raises(UploadRejected, match="not an allowed type"):
        store_upload(upload(csv, "stock.png"), "logo")
    pdf = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    assert store_upload(upload(pdf, "contract.pdf"), "contract",
                        allowed=("application/pdf",)).content_type == "application/pdf"
    with pytest.raises(UploadRejected, match="its content is PDF"):
        store_upload(upload(pdf, "contract.csv"), "import", allowed=("text/csv",))


def test_binary_that_is_not_text_is_not_csv(db, upload_dir):
    with pytest.raises(UploadRejected, match="unknown format"):
        store_upload(upload(b"\x00\x01\x02binary", "data.csv"), "import", allowed=("text/csv",))


def test_same_content_is_stored_once_under_its_hash(db, upload_dir, login_as):
    user = login_as("platform_admin")
    data = image_bytes("PNG")
    first = store_upload(upload(data, "a.png"), "logo", actor=user)
    second = store_upload(upload(data, "b.png"), "logo")
    assert first.id != second.id and first.path == second.path
    assert first.sha256 in first.path and first.path.startswith(f"{first.sha256[:2]}/{first.sha256[2:4]}/")
    assert files_in(upload_dir) == [first.path]
    assert first.created_by_id == user.id
    row = db.session.execute(select(AuditLog).where(AuditLog.action == "file.uploaded",
                                                    AuditLog.target == f"file:{first.id}")).scalar_one()
    assert row.actor == user.email and first.sha256 in row.summary


def test_thumbnail_fits_the_box_and_is_made_once(db, upload_dir):
    stored = store_upload(upload(image_bytes("JPEG", size=(400, 200)), "wide.jpg"), "catalog.image")
    path = thumbnail(stored, 100)
    with Image.open(path) as image:
        assert image.size == (100, 50) and image.format == "JPEG"
    made_at = os.stat(path).st_mtime_ns
    assert thumbnail(stored, (100, 100)) == path
    assert os.stat(path).st_mtime_ns == made_at
    csv = store_upload(upload(b"a,b\n", "x.csv"), "import", allowed=("text/csv",))
    with pytest.raises(ValueError, match="not an image"):
        thumbnail(csv, 100)


def test_data_url_carries_the_stored_bytes(db, upload_dir):
    import base64
    stored = store_upload(upload(image_bytes("PNG"), "logo.png"), "logo")
    url = data_url(stored)
    assert url.startswith("data:image/png;base64,")
    with open_stored(stored) as fh:
        assert base64.b64decode(url.split(",", 1)[1]) == fh.read()
