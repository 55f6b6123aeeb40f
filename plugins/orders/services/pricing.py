"""Pricing: a merchant's part of a checkout as a ``Draft``, priced at the SKUs'
list price, then adjusted by every enabled plugin answering
``orders_price_draft`` (promotions, freight, points).

Rounding is explicit: each line total (unit price x quantity) and each
adjustment is rounded half up to the currency's minor unit, and the totals
are sums of those rounded figures, so ``total == subtotal +
adjustments_total`` holds exactly and the lines and adjustments recorded on
the order add up to its total.
"""
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _

from portal import plugins
from portal.money import quantize

from .errors import PricingError

HOOK = "orders_price_draft"


@dataclass(frozen=True)
class DraftLine:
    """One line of a draft: ``index`` counts from 0 in the draft."""

    index: int
    sku_id: int
    sku_code: str
    title: str
    qty: int
    unit_price: Decimal  # the SKU's list price (catalog ``Sku.price``)
    currency: str


@dataclass(frozen=True)
class Draft:
    """A merchant's part of a checkout, before it is priced."""

    merchant_id: int
    currency: str
    lines: tuple
    region: str  # the buyer's ISO region: CN or CN-GD
    channel: str = ""
    customer_ref: str = ""
    coupon_codes: tuple = ()  # codes the buyer presented, upper case, for promotions to honour
    points: int = 0  # loyalty points the buyer asks to spend on the whole checkout (0: none)
    # every merchant's part of the checkout, this one included, in merchant order:
    # ``((merchant_id, list_total), ...)``; empty means this part is the whole checkout
    parts: tuple = ()
    city_code: str = ""  # the buyer's city (GB/T 2260: 440300) when the address names one, else empty

    @property
    def checkout_parts(self):
        """``parts``, or this part alone when the draft was made without them."""
        return self.parts or ((self.merchant_id, self.list_total),)

    @property
    def list_total(self):
        """The goods at list price, rounded per line."""
        return sum((quantize(line.unit_price * line.qty, self.currency) for line in self.lines), Decimal(0))


@dataclass(frozen=True)
class Adjustment:
    """A signed amount a plugin adds to a draft (negative: a discount)."""

    source: str
    kind: str
    reason: str
    amount: Decimal
    line: int = None  # index of the draft line, None for the whole order


@dataclass(frozen=True)
class Priced:
    """A priced draft: line totals in line order, the adjustments (rounded) and the totals."""

    draft: Draft
    line_totals: tuple
    adjustments: tuple = field(default_factory=tuple)
    subtotal: Decimal = Decimal(0)
    adjustments_total: Decimal = Decimal(0)
    total: Decimal = Decimal(0)


def price(draft):
    """Price ``draft``: list prices, then every enabled plugin's adjustments
    (for the draft's merchant). ``PricingError`` when an answer cannot be
    recorded or would take the total below zero."""
    currency = draft.currency
    line_totals = tuple(quantize(line.unit_price * line.qty, currency) for line in draft.lines)
    subtotal = sum(line_totals, Decimal(0))
    adjustments = tuple(_checked(answer, draft) for answers in plugins.call(HOOK, merchant_id=draft.merchant_id,
                                                                              draft=draft)
                        for answer in (answers or ()))
    adjustments_total = sum((a.amount for a in adjustments), Decimal(0))
    total = subtotal + adjustments_total
    if total < 0:
        raise PricingError(_("The adjustments (%(adjustments)s %(currency)s) take the total below zero; "
                             "goods are %(subtotal)s %(currency)s.", adjustments=adjustments_total,
                             currency=currency, subtotal=subtotal))
    return Priced(draft, line_totals, adjustments, subtotal, adjustments_total, total)


def _checked(answer, draft):
    """An answer as recorded: an ``Adjustment`` with its amount rounded."""
    if not isinstance(answer, Adjustment):
        raise PricingError(_("A plugin priced the order with %(answer)r, not an Adjustment.", answer=answer))
    if not answer.source or not isinstance(answer.source, str):
        raise PricingError(_("An adjustment (%(reason)s) does not name its source plugin.", reason=answer.reason))
    if not isinstance(answer.amount, (Decimal, int)) or isinstance(answer.amount, bool) \
            or not Decimal(answer.amount).is_finite():
        raise PricingError(_("%(source)s: the adjustment %(reason)r is %(amount)r, not a Decimal amount.",
                             source=answer.source, reason=answer.reason, amount=answer.amount))
    if answer.line is not None and answer.line not in range(len(draft.lines)):
        raise PricingError(_("%(source)s: the adjustment %(reason)r names line %(line)r, which the order "
                             "does not have.", source=answer.source, reason=answer.reason, line=answer.line))
    return Adjustment(answer.source[:64], (answer.kind or "adjustment")[:32], (answer.reason or "")[:300],
                      quantize(Decimal(answer.amount), draft.currency), answer.line)
