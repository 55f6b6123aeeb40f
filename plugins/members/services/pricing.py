"""The members' answer to the orders' ``orders_price_draft``: the level's
discount, and the points the buyer spends (``Draft.points``) at the
configured rate, up to the configured share of the order. Nothing is
written here: the points are taken when the order is placed
(``linking.order_placed``), under the conditional update that keeps the
balance from going negative."""
from decimal import ROUND_DOWN, Decimal

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


def _member(draft):
    if not draft.customer_ref:
        return None
    return db.session.execute(select(Member).where(Member.channel == draft.channel,
                                                   Member.customer_ref == draft.customer_ref,
                                                   Member.erased_at.is_(None))).scalar_one_or_none()


def price_draft(draft):
    """Adjustments for the draft: the level discount, the points spent."""
    wanted = int(getattr(draft, "points", 0) or 0)
    member = _member(draft)
    answers = []
    goods = draft.list_total
    level = member.level if member is not None else None
    if level is not None and Decimal(level.discount_percent) > 0 and goods > 0:
        off = quantize(goods * Decimal(level.discount_percent) / 100, draft.currency)
        if off > 0:
            answers.append(Adjustment(SOURCE, "discount", _("Member level %(level)s: %(percent)s%% off",
                                                           level=level.name, percent=level.discount_percent), -off))
            goods -= off
    if wanted > 0:
        answers.extend(_points(draft, member, wanted, goods))
    return answers


def _points(draft, member, wanted, goods):
    if not points_enabled(draft.merchant_id):
        raise InvalidField("points", _("this store does not take points."))
    if member is None:
        raise InvalidField("points", _("no member has the customer reference %(ref)r, so there are no points "
                                       "to spend.", ref=draft.customer_ref))
    if wanted > member.points_balance:
        raise InvalidField("points", _("the member has %(balance)s points, fewer than %(wanted)s.",
                                       balance=member.points_balance, wanted=wanted))
    share = Decimal(settings.get("members.points_max_share")) / 100
    cap = (goods * share).quantize(Decimal(1).scaleb(-minor_unit(draft.currency)), ROUND_DOWN)
    amount = min(value_of(wanted, draft.currency), cap)
    if amount <= 0:
        return []
    return [Adjustment(SOURCE, POINTS_KIND, _("%(points)s points", points=points_for(amount)), -amount)]
