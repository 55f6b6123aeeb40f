"""Shelf status: putting products on and off the shelf, one by one, in bulk,
or at a scheduled time. Each change publishes ``ProductListed`` or
``ProductDelisted`` in the same transaction, so a handler that refuses (an
``EventRejected``) undoes the change."""
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from portal import access
from portal.audit import record
from portal.events import publish
from portal.extensions import db
from portal.models import utcnow
from sqlalchemy import select

from ..events import ProductDelisted, ProductListed
from ..models import REVIEW_APPROVED, SHELF_OFF, SHELF_ON, Product, Sku
from . import CatalogError, require, require_record

RESOURCE = "catalog.product"
BULK_LIMIT = 500


def check_listable(product):
    """Raise ``CatalogError`` saying why the product cannot go on the shelf."""
    if product.review_status != REVIEW_APPROVED:
        raise CatalogError(_("%(title)s: only approved products go on the shelf (this one is %(status)s).",
                             title=product.title_en, status=_(product.review_status)))
    active = db.session.execute(select(Sku.id).where(Sku.product_id == product.id, Sku.active.is_(True))
                                .limit(1)).first()
    if active is None:
        raise CatalogError(_("%(title)s: it has no active SKU to sell.", title=product.title_en))


def put_on_shelf(actor, product, scheduled=False):
    """List an approved product. Returns False when it already was on the shelf."""
    require(actor, RESOURCE, "write")
    require_record(actor, RESOURCE, product, "write")
    if product.shelf_status == SHELF_ON:
        return False
    check_listable(product)
    product.shelf_status, product.listed_at, product.scheduled_on_at = SHELF_ON, utcnow(), None
    record("catalog.product.list", target=product.id, plugin="catalog", actor=actor,
           merchant_id=product.merchant_id, summary={"scheduled": scheduled})
    publish(ProductListed(product.id, product.merchant_id, scheduled))
    return True


def take_off_shelf(actor, product, reason="manual"):
    """Delist a product. Returns False when it was not on the shelf."""
    require(actor, RESOURCE, "write")
    require_record(actor, RESOURCE, product, "write")
    if product.shelf_status != SHELF_ON:
        return False
    product.shelf_status = SHELF_OFF
    record("catalog.product.delist", target=product.id, plugin="catalog", actor=actor,
           merchant_id=product.merchant_id, summary={"reason": reason})
    publish(ProductDelisted(product.id, product.merchant_id, reason))
    return True


def toggle(actor, product):
    """On when off, off when on; returns the new shelf status."""
    if product.shelf_status == SHELF_ON:
        take_off_shelf(actor, product)
    else:
        put_on_shelf(actor, product)
    return product.shelf_status


@dataclass
class BulkResult:
    done: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (product, why)


def bulk(actor, product_ids, action):
    """Put the chosen products on (``action="on"``) or off the shelf. Products
    outside the actor's scope are ignored as if they did not exist; those that
    cannot change are reported with the reason, the others change."""
    if action not in (SHELF_ON, SHELF_OFF):
        raise CatalogError(_("Action: choose on or off the shelf."))
    ids = {int(i) for i in product_ids if str(i).strip().isdigit()}
    if not ids:
        raise CatalogError(_("Products: tick at least one product."))
    if len(ids) > BULK_LIMIT:
        raise CatalogError(_("Products: at most %(n)s at once.", n=BULK_LIMIT))
    require(actor, RESOURCE, "write")
    query = access.scoped(select(Product).where(Product.id.in_(ids)).order_by(Product.id), Product, "write",
                          user=actor)
    result = BulkResult()
    for product in db.session.execute(query).scalars():
        try:
            changed = put_on_shelf(actor, product) if action == SHELF_ON else take_off_shelf(actor, product)
        except CatalogError as exc:
            result.skipped.append((product, str(exc)))
            continue
        if changed:
            result.done.append(product)
        else:
            why = (_("%(title)s: already on the shelf.", title=product.title_en) if action == SHELF_ON
                   else _("%(title)s: already off the shelf.", title=product.title_en))
            result.skipped.append((product, why))
    return result


def schedule(actor, product, when):
    """Set (or clear, with None) the time, naive UTC, at which the product goes
    on the shelf. It is listed then if approved, or as soon as it is approved."""
    require(actor, RESOURCE, "write")
    require_record(actor, RESOURCE, product, "write")
    if when is not None:
        if not isinstance(when, datetime):
            raise CatalogError(_("On-shelf time: not a date and time."))
        if when <= utcnow():
            raise CatalogError(_("On-shelf time: must be in the future."))
        if product.shelf_status == SHELF_ON:
            raise CatalogError(_("%(title)s is already on the shelf.", title=product.title_en))
    product.scheduled_on_at = when
    record("catalog.product.schedule", target=product.id, plugin="catalog", actor=actor,
           merchant_id=product.merchant_id, summary={"at": when})
    return product


def run_scheduled(now=None, batch=500):
    """The scheduled job: list approved products whose on-shelf time has come.
    Each product is listed in its own savepoint so one refused listing does not
    hold back the others. Commits; returns a line for the job log."""
    now = now or utcnow()
    due = db.session.execute(
        select(Product).where(Product.scheduled_on_at <= now, Product.shelf_status == SHELF_OFF,
                              Product.review_status == REVIEW_APPROVED)
        .order_by(Product.scheduled_on_at, Product.id).limit(batch)).scalars().all()
    listed, failed = 0, []
    for product in due:
        try:
            with db.session.begin_nested():
                put_on_shelf(None, product, scheduled=True)
            listed += 1
        except Exception as exc:  # noqa: BLE001 — any refusal is reported, the rest go on
            failed.append(f"{product.id}: {exc}")
    db.session.commit()
    message = f"listed {listed} product(s)"
    return message + (f"; not listed: {'; '.join(failed)}" if failed else "")
