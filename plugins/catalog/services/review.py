"""Review: while the platform setting ``catalog.review_required`` is on, a
merchant's new or changed product waits for platform staff to approve it, and
only approved products go on the shelf.

A change to a product on the shelf takes it off the shelf until it is approved
again: otherwise buyers would see content nobody reviewed. Price edits are not
content and need no review. Changes made by platform staff who may review
themselves are approved at once.
"""
from flask_babel import gettext as _
from portal import access, settings
from portal.audit import record
from portal.i18n import N_
from portal.models import utcnow

from ..models import REVIEW_APPROVED, REVIEW_PENDING, REVIEW_REJECTED, SHELF_ON
from . import CatalogError, require, require_platform, require_record, shelf, text

SETTING = "catalog.review_required"
RESOURCE = "catalog.review"
# the review statuses as messages name them, through _(status)
STATUS_WORDS = (N_("pending"), N_("approved"), N_("rejected"))


def review_required():
    """Whether the platform currently requires review of merchants' products."""
    return bool(settings.get(SETTING))


def can_review(actor):
    """Platform staff holding ``catalog.review`` write (and the system)."""
    if actor is None:
        return True
    return actor.merchant_id is None and access.has_level(RESOURCE, "write", user=actor)


def status_for_new(actor):
    """The review status a product created now by ``actor`` starts with."""
    return REVIEW_PENDING if review_required() and not can_review(actor) else REVIEW_APPROVED


def after_change(actor, product):
    """Send a changed product back to review when review is on; take it off
    the shelf meanwhile. Returns True when it now waits for review."""
    if not review_required() or can_review(actor):
        return False
    product.review_status, product.review_reason = REVIEW_PENDING, ""
    product.reviewed_at = product.reviewed_by_id = None
    if product.shelf_status == SHELF_ON:
        shelf.take_off_shelf(None, product, reason="review")
    return True


def _decide(actor, product, status, reason):
    require(actor, RESOURCE, "write")
    require_platform(actor, N_("review products"))
    require_record(actor, RESOURCE, product, "read")
    if product.review_status != REVIEW_PENDING:
        raise CatalogError(_("%(title)s is not waiting for review (it is %(status)s).", title=product.title_en,
                             status=_(product.review_status)))
    product.review_status, product.review_reason = status, reason
    product.reviewed_at, product.reviewed_by_id = utcnow(), getattr(actor, "id", None)
    record(f"catalog.product.{'approve' if status == REVIEW_APPROVED else 'reject'}", target=product.id,
           plugin="catalog", actor=actor, merchant_id=product.merchant_id, summary={"reason": reason})
    return product


def approve(actor, product):
    """Approve a pending product; it may then go on the shelf (and will at its
    scheduled time, if one is set)."""
    return _decide(actor, product, REVIEW_APPROVED, "")


def reject(actor, product, reason):
    """Reject a pending product with a reason the merchant sees; changing the
    product sends it back to review."""
    reason = text(reason, "Reason", 500, required=True)
    return _decide(actor, product, REVIEW_REJECTED, reason)
