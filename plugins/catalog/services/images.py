"""Product images and brand logos, stored through ``portal.uploads``: the type
comes from the bytes (PNG, JPEG or WebP), the size is limited, metadata is
stripped; thumbnails are made on first use."""
from flask_babel import gettext as _
from portal import uploads
from portal.audit import record
from portal.extensions import db
from portal.models import utcnow

from ..models import ProductImage
from . import CatalogError, require, require_record, review

RESOURCE = "catalog.product"
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
MAX_BYTES = 5 * 1024 * 1024
MAX_IMAGES = 12
THUMBNAIL_SIZE = 240


def _store(file_storage, kind, merchant_id, actor, field):
    try:
        return uploads.store_upload(file_storage, kind, merchant_id=merchant_id, actor=actor,
                                    allowed=IMAGE_TYPES, max_bytes=MAX_BYTES)
    except uploads.UploadRejected as exc:
        raise CatalogError(_("%(field)s: %(problem)s", field=_(field), problem=exc)) from None


def add_image(actor, product, file_storage):
    """Add an image at the end of the product's images (a content change:
    it goes back to review when review is on)."""
    require(actor, RESOURCE, "write")
    require_record(actor, RESOURCE, product, "write")
    if file_storage is None or not getattr(file_storage, "filename", ""):
        raise CatalogError(_("Image: choose a file."))
    if len(product.images) >= MAX_IMAGES:
        raise CatalogError(_("Image: at most %(n)s images per product; remove one first.", n=MAX_IMAGES))
    stored = _store(file_storage, "catalog.image", product.merchant_id, actor, "Image")
    image = ProductImage(file=stored, position=max([i.position for i in product.images], default=-1) + 1)
    product.images.append(image)
    db.session.flush()
    product.updated_at = utcnow()
    review.after_change(actor, product)
    record("catalog.product.image", target=product.id, plugin="catalog", actor=actor,
           merchant_id=product.merchant_id, summary={"added": stored.original_name, "file": stored.id})
    return image


def remove_image(actor, image):
    """Remove an image from its product (the stored file is kept: the same
    bytes may serve another record)."""
    product = image.product
    require(actor, RESOURCE, "write")
    require_record(actor, RESOURCE, product, "write")
    product.images.remove(image)
    product.updated_at = utcnow()
    review.after_change(actor, product)
    record("catalog.product.image", target=product.id, plugin="catalog", actor=actor,
           merchant_id=product.merchant_id, summary={"removed": image.file_id})


def store_logo(file_storage, actor):
    """A brand logo from an upload, or None when no file was chosen."""
    if file_storage is None or not getattr(file_storage, "filename", ""):
        return None
    return _store(file_storage, "catalog.logo", None, actor, "Logo")


def thumbnail_path(stored_file):
    """The thumbnail file of a stored image (made once)."""
    return uploads.thumbnail(stored_file, THUMBNAIL_SIZE)
