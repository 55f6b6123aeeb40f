"""Freight: the lines of a merchant's order grouped by the template that
charges them (the product's category template, else the store's default),
each group charged once in the zone covering the destination.

Per group: the units are counted by the template's basis (items, kg, volumetric
kg, goods amount); the first ``first_units`` cost ``first_fee`` and each
further block of ``additional_units`` (a part block counts whole) costs
``additional_fee``; the group ships free when its goods reach the zone's
amount or item threshold. Lines whose zone is ``no_delivery``, or that no zone
covers, are refused. Lines without any template ship free.

Everything is summed as ``Decimal`` and groups are taken in template order, so
the freight is the same whatever the order of the lines, and never negative
(fees cannot be)."""
import math
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from plugins.catalog.models import Category, Product, Sku
from portal.extensions import db
from portal.i18n import N_
from portal.money import quantize

from .. import regions
from ..models import BY_AMOUNT, BY_COUNT, BY_VOLUME, BY_WEIGHT, FreightTemplate

KG = Decimal(1000)
CM3_PER_MM3 = Decimal(1000)
UNIT_LABELS = {BY_COUNT: N_("item(s)"), BY_WEIGHT: N_("kg"), BY_VOLUME: N_("kg (volumetric)"), BY_AMOUNT: ""}


@dataclass(frozen=True)
class Item:
    """A line to ship: what the SKU weighs and measures (grams, millimetres)."""

    index: int
    sku_id: int
    sku_code: str
    title: str
    qty: int
    unit_price: Decimal
    category_id: int = None
    weight_g: int = None
    length_mm: int = None
    width_mm: int = None
    height_mm: int = None
    category_path: str = ""  # "/<root id>/.../<category id>/"

    @property
    def category_chain(self):
        """The product's category id, then its parents' up to the root."""
        return [int(p) for p in reversed(self.category_path.strip("/").split("/")) if p] or [self.category_id]


@dataclass(frozen=True)
class Charge:
    """One group's freight and the reason for it."""

    template_id: int
    template_name: str
    basis: str
    zone: str
    units: Decimal
    amount: Decimal
    lines: tuple
    skus: tuple
    explanation: str


@dataclass(frozen=True)
class Quote:
    """The freight for a destination: one ``Charge`` per group, the lines
    refused (``[(item, template name)]``) and the lines with no template."""

    region: str
    currency: str
    charges: tuple = ()
    refused: tuple = ()
    unpriced: tuple = field(default_factory=tuple)

    @property
    def total(self):
        return sum((c.amount for c in self.charges), Decimal(0))

    def refusal(self):
        """The sentence naming the lines that cannot be delivered, or empty."""
        if not self.refused:
            return ""
        named = ", ".join(f"{item.sku_code} ({item.title})" for item, _name in self.refused)
        return _("the merchant does not deliver to %(region)s: %(lines)s. Remove these lines or ship to "
                 "another address.", region=self.region, lines=named)


def items_for(lines):
    """``Item``s for ``[(index, sku_id, sku_code, title, qty, unit_price)]``,
    with each SKU's category (and its path) and measures read in one query."""
    lines = list(lines)
    rows = {row[0]: row[1:] for row in db.session.execute(
        select(Sku.id, Product.category_id, Sku.weight_g, Sku.length_mm, Sku.width_mm, Sku.height_mm, Category.path)
        .join(Product, Product.id == Sku.product_id).join(Category, Category.id == Product.category_id)
        .where(Sku.id.in_({line[1] for line in lines})))}
    return [Item(index, sku_id, code, title, qty, Decimal(price), *rows.get(sku_id, (None,) * 5 + ("",)))
            for index, sku_id, code, title, qty, price in lines]


def templates_of(merchant_id):
    """The merchant's templates with their zones, in one query: ``(store default, {category id: template})``."""
    default, by_category = None, {}
    for template in db.session.execute(select(FreightTemplate).where(FreightTemplate.merchant_id == merchant_id)
                                       .options(joinedload(FreightTemplate.zones))).unique().scalars():
        if template.category_id is None:
            default = template
        else:
            by_category[template.category_id] = template
    return default, by_category


def template_for(item, default, by_category):
    """The nearest category (the product's, then its parents') with a template wins over the store's."""
    if by_category:
        for category_id in item.category_chain:
            if category_id in by_category:
                return by_category[category_id]
    return default


def zone_for(template, region, ranks=None):
    """The zone of ``template`` that covers ``region`` most closely (a city's
    zone before its province's, a province's before its country's), or None.
    ``ranks``: ``regions.ranks(region)``, when the caller already has them."""
    ranks = regions.ranks(region) if ranks is None else ranks
    best, best_rank = None, -1
    for zone in template.zones:
        for code in zone.region_codes:
            rank = ranks.get(code)
            if rank is not None and rank > best_rank:
                best, best_rank = zone, rank
    return best


def quote(merchant_id, region, items, currency):
    """The freight for ``items`` (of one merchant) shipped to ``region``: the
    destination's most specific code (a city's ``440300``, else ``CN-GD``)."""
    default, by_category = templates_of(merchant_id)
    if default is None and not by_category:
        return Quote(region, currency, unpriced=tuple(items))
    groups, unpriced = defaultdict(list), []
    for item in items:
        template = template_for(item, default, by_category)
        if template is None:
            unpriced.append(item)
        else:
            groups[template].append(item)
    charges, refused, ranks = [], [], regions.ranks(region)
    for template in sorted(groups, key=lambda t: t.id):
        zone = zone_for(template, region, ranks)
        group = sorted(groups[template], key=lambda i: (i.sku_id, i.index))
        if zone is None or zone.no_delivery:
            refused.extend((item, template.name) for item in group)
            continue
        charges.append(charge(template, zone, group, currency))
    return Quote(region, currency, tuple(charges), tuple(refused), tuple(unpriced))


def units_of(basis, items, divisor):
    """What a group counts, by the template's basis."""
    if basis == BY_COUNT:
        return Decimal(sum(i.qty for i in items))
    if basis == BY_WEIGHT:
        return sum((Decimal(i.weight_g or 0) * i.qty for i in items), Decimal(0)) / KG
    if basis == BY_VOLUME:
        cm3 = sum((Decimal((i.length_mm or 0) * (i.width_mm or 0) * (i.height_mm or 0)) * i.qty
                   for i in items), Decimal(0)) / CM3_PER_MM3
        return cm3 / Decimal(divisor)
    return sum((i.unit_price * i.qty for i in items), Decimal(0))


def fee(zone, units):
    """First units at the first fee, then each started block of additional units."""
    first_units, additional_units = Decimal(zone.first_units), Decimal(zone.additional_units)
    blocks = math.ceil((units - first_units) / additional_units) if units > first_units else 0
    return Decimal(zone.first_fee) + Decimal(zone.additional_fee) * blocks, blocks


def charge(template, zone, items, currency):
    """One group's ``Charge``, free when the zone's thresholds are reached."""
    units = units_of(template.basis, items, template.volume_divisor).quantize(Decimal("0.001"))
    goods = sum((i.unit_price * i.qty for i in items), Decimal(0))
    count = sum(i.qty for i in items)
    zone_text = " ".join(zone.region_codes)
    if zone.free_over_amount is not None and goods >= zone.free_over_amount:
        amount, why = Decimal(0), _("free: goods %(goods)s reach %(limit)s", goods=quantize(goods, currency),
                                    limit=quantize(Decimal(zone.free_over_amount), currency))
    elif zone.free_over_count is not None and count >= zone.free_over_count:
        amount, why = Decimal(0), _("free: %(count)s items reach %(limit)s", count=count, limit=zone.free_over_count)
    else:
        amount, blocks = fee(zone, units)
        why = _("%(units)s %(unit)s: first %(first)s for %(first_fee)s, then %(blocks)s x %(more)s at "
                "%(more_fee)s", units=units.normalize(), unit=_(UNIT_LABELS[template.basis]) if UNIT_LABELS[template.basis] else currency,
                first=Decimal(zone.first_units).normalize(), first_fee=quantize(Decimal(zone.first_fee), currency),
                blocks=blocks, more=Decimal(zone.additional_units).normalize(),
                more_fee=quantize(Decimal(zone.additional_fee), currency))
    return Charge(template.id, template.name, template.basis, zone_text, units, quantize(amount, currency),
                  tuple(i.index for i in items), tuple(i.sku_code for i in items), why)
