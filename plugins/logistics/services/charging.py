"""Freight as part of an order's price: the answer to ``orders_price_draft``
(one freight adjustment per group of lines, or the order refused when a line
cannot be delivered), and the breakdown kept on the placed order.

A buyer may ship free by a privilege another plugin grants (a member level):
logistics asks its extension point ``logistics_freight_waiver`` and, given a
reason, adds one adjustment taking the freight back to zero. Logistics never
learns what a level is, and the other plugin never computes freight."""
from flask_babel import gettext as _
from sqlalchemy import select

from plugins.orders.models import Adjustment as OrderAdjustment
from plugins.orders.models import Checkout, Order
from plugins.orders.services import Adjustment, InvalidField
from portal import plugins
from portal.extensions import db

from .. import regions
from ..models import OrderFreight
from . import freight

SOURCE, KIND = "logistics", "freight"


def price_draft(draft):
    """The freight adjustments for an orders ``Draft``; ``InvalidField``
    on the region naming the lines the merchant does not deliver there."""
    items = freight.items_for((line.index, line.sku_id, line.sku_code, line.title, line.qty, line.unit_price)
                              for line in draft.lines)
    destination = regions.destination(draft.region, getattr(draft, "city_code", ""))
    result = freight.quote(draft.merchant_id, destination, items, draft.currency)
    if result.refused:
        raise InvalidField("region", result.refusal())
    answers = [Adjustment(SOURCE, KIND, _("Freight (%(template)s) to %(region)s: %(why)s",
                                          template=c.template_name, region=destination, why=c.explanation),
                          c.amount) for c in result.charges]
    reason = waiver(draft.merchant_id, draft.channel, draft.customer_ref) if result.total > 0 else None
    if reason:
        # the charges stay visible; one adjustment takes them back, so the freight nets to exactly zero
        answers.append(Adjustment(SOURCE, KIND, waiver_text(reason), -result.total))
    return answers


def waiver(merchant_id, channel, customer_ref):
    """The first reason an enabled plugin gives for this buyer shipping free, or None."""
    reasons = plugins.call("logistics_freight_waiver", merchant_id=merchant_id, channel=channel or "",
                           customer_ref=customer_ref or "")
    return next((str(r) for r in reasons if r), None)


def waiver_text(reason):
    """The waiver adjustment's reason, as the buyer and staff read it."""
    return _("Free shipping: %(why)s", why=reason)


def record_breakdown(order_id):
    """Keep why a just-placed order was charged its freight (same rules, same
    transaction as the pricing, so the same figures)."""
    order = db.session.get(Order, order_id)
    region, city_code = db.session.execute(select(Checkout.ship_region, Checkout.ship_city_code)
                                           .where(Checkout.id == order.checkout_id)).one()
    region = regions.destination(region, city_code)
    items = freight.items_for((line.position, line.sku_id, line.sku_code, line.title, line.qty, line.unit_price)
                              for line in order.lines)
    result = freight.quote(order.merchant_id, region, items, order.currency)
    waived = _waived(order.id)
    for c in result.charges:
        db.session.add(OrderFreight(order_id=order.id, merchant_id=order.merchant_id, template_id=c.template_id,
                                    template_name=c.template_name, region=region, zone=c.zone, basis=c.basis,
                                    units=c.units, amount=c.amount, currency=order.currency,
                                    skus=" ".join(c.skus)[:1000], explanation=c.explanation[:500],
                                    waived_by=waived[:300]))
    db.session.flush()


def _waived(order_id):
    """The reason of the order's freight waiver as it was priced, or ""."""
    return db.session.execute(select(OrderAdjustment.reason).where(
        OrderAdjustment.order_id == order_id, OrderAdjustment.source == SOURCE, OrderAdjustment.kind == KIND,
        OrderAdjustment.amount < 0)).scalar() or ""


def breakdown_of(order):
    """The stored freight groups of an order."""
    return db.session.execute(select(OrderFreight).where(OrderFreight.order_id == order.id)
                              .order_by(OrderFreight.id)).scalars().all()


def clean_destination(region, city=""):
    """The calculator's destination: a country or province from the list, or
    one of that province's cities; ``InvalidValue`` naming the field."""
    from .core import text
    from .errors import InvalidValue

    region = text(region, _("destination"), 8, required=True).upper()
    if not regions.exists(region) or region == regions.ELSEWHERE or regions.province_of(region) != region:
        raise InvalidValue(_("destination"), _("choose a country or province from the list."))
    city = text(city, _("city"), 8)
    if not city:
        return region
    if regions.province_of(city) != region or city == region:
        raise InvalidValue(_("city"), _("%(code)s is not a city of %(region)s; choose one from the list.",
                                        code=city, region=region))
    return city


def calculate(actor, merchant_id, region, rows, city=""):
    """The calculator: the freight of ``rows`` (``[(SKU code, quantity)]``,
    blank rows skipped) of ``merchant_id`` shipped to ``region`` (or to its
    ``city``); a ``freight.Quote``. ``InvalidValue`` naming the row at fault."""
    from plugins.catalog.models import Product, Sku
    from portal.models import Merchant

    from .core import TEMPLATE, reach, text, whole
    from .errors import InvalidValue

    if merchant_id is None or db.session.get(Merchant, merchant_id) is None:
        raise InvalidValue(_("merchant"), _("choose the merchant."))
    reach(actor, TEMPLATE, "read", merchant_id, _("Merchant"), merchant_id)
    region = clean_destination(region, city)
    wanted = [(n, text(code, _("item %(n)s: SKU", n=n), 64), qty) for n, (code, qty) in enumerate(rows, start=1)]
    wanted = [(n, code, whole(qty or "1", _("item %(n)s: quantity", n=n))) for n, code, qty in wanted if code]
    if not wanted:
        raise InvalidValue(_("items"), _("enter at least one SKU code."))
    found = {sku.code: (sku, product) for sku, product in db.session.execute(
        select(Sku, Product).join(Product, Product.id == Sku.product_id)
        .where(Sku.merchant_id == merchant_id, Sku.code.in_([code for _n, code, _q in wanted])))}
    lines = []
    for index, (n, code, qty) in enumerate(wanted):
        if code not in found:
            raise InvalidValue(_("item %(n)s: SKU", n=n), _("%(code)s is not a SKU of this merchant.", code=code))
        sku, product = found[code]
        lines.append((index, sku.id, sku.code, product.title_en, qty, sku.price))
    currency = found[wanted[0][1]][0].currency
    return freight.quote(merchant_id, region, freight.items_for(lines), currency)
