"""The members' answer to the orders' ``orders_price_draft``: the level's
discount, and this order's share of the points the buyer spends on the
checkout (``Draft.points``), at the configured rate; and to the logistics'
``logistics_freight_waiver``: a level with free shipping ships free. Nothing
is written here: the points are taken when the order is placed
(``linking.order_placed``), under the conditional update that keeps the
balance from going negative.

A checkout of several merchants becomes several orders, and the points are
spread over them. The largest share paid with points holds per order, not
per checkout: each order is paid, settled, cancelled and refunded on its own,
so each must respect the share alone (a per-checkout cap could load one
merchant's order with far more than its share). The points go to the orders
of the stores that take points, in proportion to what each order may take
(largest remainder in whole points, ties in merchant order), so pricing the
same checkout twice splits it the same way, and a cancel gives back exactly
what its own order took."""
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction

from flask_babel import gettext as _
from sqlalchemy import select

from plugins.orders.services.errors import InvalidField
from plugins.orders.services.pricing import Adjustment
from portal import settings
from portal.extensions import db
from portal.money import minor_unit, quantize

from ..models import Member
from .linking import POINTS_KIND, SOURCE
from .points import points_enabled, points_for, value_of


def member_of_buyer(channel, customer_ref):
    """The member a buyer's reference names (not an erased one), or None."""
    if not customer_ref:
        return None
    return db.session.execute(select(Member).where(Member.channel == channel, Member.customer_ref == customer_ref,
                                                   Member.erased_at.is_(None))).scalar_one_or_none()


def price_draft(draft):
    """Adjustments for the draft: the level discount, this order's points."""
    wanted = int(getattr(draft, "points", 0) or 0)
    member = member_of_buyer(draft.channel, draft.customer_ref)
    level = member.level if member is not None else None
    answers = []
    off = level_discount(draft.list_total, level, draft.currency)
    if off > 0:
        answers.append(Adjustment(SOURCE, "discount", _("Member level %(level)s: %(percent)s%% off",
                                                       level=level.name, percent=level.discount_percent), -off))
    if wanted > 0:
        answers.extend(_points(draft, member, wanted))
    return answers


def free_shipping_reason(channel, customer_ref):
    """Why the buyer ships free (their level's privilege), or None."""
    member = member_of_buyer(channel, customer_ref)
    level = member.level if member is not None else None
    if level is None or not level.free_shipping:
        return None
    return _("member level %(level)s ships free", level=level.name)


def level_discount(goods, level, currency):
    """What the level takes off ``goods`` (rounded to the currency's minor unit)."""
    if level is None or Decimal(level.discount_percent) <= 0 or goods <= 0:
        return Decimal(0)
    return quantize(goods * Decimal(level.discount_percent) / 100, currency)


def points_cap(goods, currency):
    """The most points may pay of an order's ``goods``: the configured share, rounded down."""
    share = Decimal(settings.get("members.points_max_share")) / 100
    return (goods * share).quantize(Decimal(1).scaleb(-minor_unit(currency)), ROUND_DOWN)


def _points(draft, member, wanted):
    parts = draft.checkout_parts
    takes = {merchant_id: points_enabled(merchant_id) for merchant_id, _goods in parts}
    if not any(takes.values()):
        raise InvalidField("points", _("this store does not take points.") if len(parts) == 1
                           else _("none of the stores of this checkout takes points."))
    if member is None:
        raise InvalidField("points", _("no member has the customer reference %(ref)r, so there are no points "
                                       "to spend.", ref=draft.customer_ref))
    if wanted > member.points_balance:
        raise InvalidField("points", _("the member has %(balance)s points, fewer than %(wanted)s.",
                                       balance=member.points_balance, wanted=wanted))
    if not takes.get(draft.merchant_id):
        return []
    caps = {merchant_id: points_cap(goods - level_discount(goods, member.level, draft.currency), draft.currency)
            if takes[merchant_id] else Decimal(0) for merchant_id, goods in parts}
    points = spread(wanted, {merchant_id: points_for(cap) for merchant_id, cap in caps.items()}).get(
        draft.merchant_id, 0)
    amount = min(value_of(points, draft.currency), caps[draft.merchant_id])
    if amount <= 0:
        return []
    return [Adjustment(SOURCE, POINTS_KIND, _("%(points)s points", points=points_for(amount)), -amount)]


def spread(points, room):
    """``points`` over the parts of ``room`` (``{key: most points the part may
    take}``, in order) in proportion to their room, in whole points that add
    up to ``min(points, total room)``; no part gets more than its room. The
    points left by rounding down go to the largest remainders, ties to the
    earlier part."""
    total = sum(room.values())
    points = min(points, total)
    if points <= 0:
        return {}
    shares, remainders = {}, []
    for key, most in room.items():
        exact = Fraction(points * most, total)
        shares[key] = int(exact)
        remainders.append((exact - shares[key], key))
    left = points - sum(shares.values())
    for _remainder, key in sorted(remainders, key=lambda r: -r[0])[:left]:
        shares[key] += 1
    return shares
