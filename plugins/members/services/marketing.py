"""Targeted marketing: what another plugin offers (a coupon of the
promotions) issued to every member of a saved segment, through the members'
extension points (``members_marketing_offers``, ``members_issue_offer``), so
the members never import the promotions and keep working without them.

Who gets a code: the segment's members in the user's reach who consented to
marketing. A code issued to a member exists to be sent to them in a
marketing message, and a serious back office markets only to people who
agreed to it (the segment's CSV export keeps to them for the same reason);
erased members are never selected. A member known only by a phone number
(``tel:...``, an order placed without a customer reference) is left out too:
orders do not carry that reference at checkout, so a code bound to it could
never be used. The confirmation says how many are left out and why.

Issuing is idempotent: a member who holds a code of the offer gets no second
one unless staff ask for it (``again``); ``IssuedCode.issue_no`` under a
unique constraint keeps two people issuing at once from doing it twice."""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, insert, not_, select
from sqlalchemy.exc import IntegrityError

from portal import access, plugins
from portal.audit import record
from portal.extensions import db
from portal.models import utcnow

from ..models import IssuedCode, Member
from . import MembersError
from .profiles import actor_name
from .scope import scoped_members, visible_codes
from .segments import SEGMENT, apply_rules, rules_of

OFFERS_HOOK, ISSUE_HOOK = "members_marketing_offers", "members_issue_offer"
PHONE_REF = "tel:"
MAX_ISSUE = 10_000


@dataclass(frozen=True)
class Offer:
    """Something a plugin can issue to members: its key and what staff read."""

    key: str
    label: str


@dataclass(frozen=True)
class Plan:
    """Who an issue of ``offer`` to a segment reaches, counted now."""

    offer: Offer
    in_segment: int  # the segment's members in the user's reach
    consenting: int  # of them, those who consented to marketing
    reachable: int  # of those, the ones with a reference orders carry
    holding: int  # of those, the ones holding a code of this offer already
    again: bool = False

    @property
    def to_issue(self):
        return self.reachable if self.again else self.reachable - self.holding


def issuing_exists(segment):
    """Does an enabled plugin offer anything to members of the segment's store?"""
    return bool(plugins.implementers(OFFERS_HOOK, segment.merchant_id))


def offers_for(actor, segment):
    """``[Offer]`` the user may issue to the segment's members; None when the
    action does not exist for them (no enabled plugin offers anything, or
    they may not change segments or issue any plugin's offers)."""
    if not access.has_level(SEGMENT, "write", actor):
        return None
    answers = plugins.call(OFFERS_HOOK, merchant_id=segment.merchant_id, actor=actor)
    if not answers:
        return None
    return [Offer(str(key), str(label)) for answer in answers for key, label in answer]


def offer_of(actor, segment, key):
    """The offer ``key`` for this segment; ``AccessDenied`` when the user may
    issue nothing here, ``MembersError`` when the key is not on offer."""
    offers = offers_for(actor, segment)
    if offers is None:
        raise access.AccessDenied(_("You may not issue %(key)s to this segment: it takes write access to member "
                                    "segments and to what is issued (for a coupon: Coupon codes).", key=key))
    for offer in offers:
        if offer.key == key:
            return offer
    raise MembersError(_("%(key)s is not on offer for this segment (ended, or not this store's): choose one "
                         "from the list.", key=key))


def _eligible(actor, segment):
    """The segment's consenting members with a reference orders carry."""
    query = apply_rules(scoped_members(select(Member.id), "write", actor), rules_of(segment))
    return query.where(Member.marketing_consent.is_(True), not_(Member.customer_ref.startswith(PHONE_REF)))


def _holding(key):
    return select(IssuedCode.member_id).where(IssuedCode.offer_key == key)


def plan_issue(actor, segment, key, again=False):
    """How many members an issue of ``key`` reaches, and how many it leaves out and why."""
    offer = offer_of(actor, segment, key)
    rules = rules_of(segment)

    def count(query):
        return db.session.execute(select(func.count()).select_from(query.subquery())).scalar()
    in_segment = count(apply_rules(scoped_members(select(Member.id), "write", actor), rules))
    consenting = count(apply_rules(scoped_members(select(Member.id), "write", actor), rules)
                       .where(Member.marketing_consent.is_(True)))
    eligible = _eligible(actor, segment)
    return Plan(offer, in_segment, consenting, count(eligible),
                count(eligible.where(Member.id.in_(_holding(offer.key)))), bool(again))


def issue(actor, segment, key, again=False, expected=None, now=None):
    """Issue the offer ``key`` to the segment's members as ``plan_issue``
    counts them (``members.segment`` write). ``SegmentChanged`` when the
    count is no longer the ``expected`` one the user confirmed; the offering
    plugin's refusal as a ``MembersError`` (or its ``AccessDenied``). Records
    each member's code and audits the issue; returns the ``Plan``."""
    access.require(SEGMENT, "write", actor)
    now = now or utcnow()
    plan = plan_issue(actor, segment, key, again)
    if expected is not None and plan.to_issue != expected:
        raise SegmentChanged(plan)
    if plan.to_issue == 0:
        raise MembersError(_("No member of this segment is left to get a code of %(offer)s.",
                             offer=plan.offer.label))
    if plan.to_issue > MAX_ISSUE:
        raise MembersError(_("%(n)s members would get a code; at most %(max)s at a time: narrow the segment.",
                             n=plan.to_issue, max=MAX_ISSUE))
    query = _eligible(actor, segment)
    if not again:
        query = query.where(Member.id.not_in(_holding(key)))
    rows = db.session.execute(select(Member.id, Member.channel, Member.customer_ref)
                              .where(Member.id.in_(query)).order_by(Member.id)).all()
    codes = _issue_codes(actor, segment, plan.offer, [(channel, ref) for _id, channel, ref in rows])
    numbers = dict(db.session.execute(select(IssuedCode.member_id, func.max(IssuedCode.issue_no))
                                      .where(IssuedCode.offer_key == key).group_by(IssuedCode.member_id)).all()) \
        if again else {}
    try:
        db.session.execute(insert(IssuedCode), [
            {"member_id": member_id, "merchant_id": segment.merchant_id, "segment_id": segment.id,
             "segment_name": segment.name, "offer_key": key, "offer_label": plan.offer.label[:200], "code": code,
             "issue_no": numbers.get(member_id, 0) + 1, "issued_at": now, "actor": actor_name(actor)}
            for (member_id, _channel, _ref), code in zip(rows, codes)])
    except IntegrityError as exc:
        raise MembersError(_("Someone issued %(offer)s to these members at the same time; open the segment again "
                             "to see who has a code.", offer=plan.offer.label)) from exc
    record("members.segment.issue", target=f"segment {segment.id}", plugin="members", actor=actor,
           merchant_id=segment.merchant_id, summary={"offer": key, "codes": len(codes), "again": bool(again),
                                                     "left_out": plan.in_segment - plan.reachable})
    return plan


def _issue_codes(actor, segment, offer, holders):
    try:
        answers = plugins.call(ISSUE_HOOK, merchant_id=segment.merchant_id, actor=actor, key=offer.key,
                               holders=holders)
    except ValueError as exc:  # the offering plugin's refusal, in words for staff (see the hookspec)
        raise MembersError(str(exc)) from exc
    codes = answers[0] if answers else None
    if codes is None or len(codes) != len(holders):
        raise MembersError(_("%(offer)s could not be issued: the plugin offering it did not answer with one code "
                             "per member.", offer=offer.label))
    return [str(code) for code in codes]


class SegmentChanged(MembersError):
    """The segment's count moved since the user confirmed; ``plan`` is the new one."""

    def __init__(self, plan):
        super().__init__(_("The segment changed since you looked: %(n)s members would now get a code. Check and "
                           "confirm again.", n=plan.to_issue))
        self.plan = plan


def codes_of(member, user=None, limit=50):
    """The codes issued to a member that the user may see, newest first: a
    merchant's staff see the codes their stores issued, not another store's
    (nor the platform's); the platform sees all."""
    return db.session.execute(visible_codes(select(IssuedCode).where(IssuedCode.member_id == member.id), user)
                              .order_by(IssuedCode.id.desc()).limit(limit)).scalars().all()
