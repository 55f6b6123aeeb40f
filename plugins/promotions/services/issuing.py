"""Coupon codes issued to named customers, for the members' targeted
marketing (their extension points ``members_marketing_offers`` and
``members_issue_offer``): each customer gets a new one-use code of a coupon
rule, bound to their ``(channel, customer_ref)`` as orders carry it, so at
checkout the code works for that customer only. The members record which
member got which code; the promotions keep the codes and their uses, and
forget the person's reference when the member is erased."""
import uuid

from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from portal import access
from portal.audit import record
from portal.extensions import db
from portal.models import utcnow

from ..models import COUPON, ENDED, CouponCode, Rule
from .coupons import COUPON_RESOURCE, MAX_BATCH, fresh_codes, next_batch
from .errors import PromotionsError
from .rules import state_of

PREFIX = "promotions:"
ERASED = "~erased"


class IssueRefused(PromotionsError, ValueError):
    """Codes cannot be issued; the message says why. A ``ValueError`` too, as
    the members' extension point asks of a refusal."""


def offers(actor, merchant_id, now=None):
    """``[(key, label)]`` of the coupon rules of ``merchant_id`` (None: the
    platform's) whose codes the actor may issue, not ended nor expired; None
    when the actor may not issue coupon codes at all."""
    if not access.has_level(COUPON_RESOURCE, "write", actor):
        return None
    now = now or utcnow()
    rules = db.session.execute(select(Rule).where(
        Rule.kind == COUPON, Rule.status != ENDED, or_(Rule.ends_at.is_(None), Rule.ends_at > now),
        Rule.merchant_id.is_(None) if merchant_id is None else Rule.merchant_id == merchant_id)
        .order_by(Rule.name, Rule.id)).scalars()
    return [(f"{PREFIX}{rule.id}", _label(rule, now)) for rule in rules
            if access.record_level(COUPON_RESOURCE, rule, actor) >= access.WRITE]


def _label(rule, now):
    state = state_of(rule, now)
    if state == "scheduled":
        return _("Coupon %(name)s (starts %(when)s UTC)", name=rule.name, when=f"{rule.starts_at:%Y-%m-%d %H:%M}")
    if state == "paused":
        return _("Coupon %(name)s (paused)", name=rule.name)
    return _("Coupon %(name)s", name=rule.name)


def issue_to_customers(actor, merchant_id, key, holders, now=None):
    """A new one-use code of the coupon rule ``key`` for each ``(channel,
    customer_ref)`` of ``holders``, bound to them, in their order; None when
    ``key`` is not a promotions key. ``IssueRefused`` naming the problem,
    ``AccessDenied`` without write access to the rule's coupons. Audited."""
    if not str(key).startswith(PREFIX):
        return None
    now = now or utcnow()
    rule = _rule_of(key, merchant_id)
    if actor is not None:  # None: the system (a script, a test)
        access.require(COUPON_RESOURCE, "write", actor)
        if access.record_level(COUPON_RESOURCE, rule, actor) < access.WRITE:
            raise access.AccessDenied(_("You need write access to the coupons of %(name)s.", name=rule.name))
    if state_of(rule, now) in ("ended", "expired"):
        raise IssueRefused(_("Coupon %(name)s is over: its codes could never be used.", name=rule.name))
    holders = [_holder(h) for h in holders]
    if not 1 <= len(holders) <= MAX_BATCH:
        raise IssueRefused(_("Codes are issued to 1 to %(max)s customers at a time, not %(n)s.", max=MAX_BATCH,
                             n=len(holders)))
    codes = sorted(fresh_codes(len(holders)))
    batch = next_batch(rule)
    db.session.add_all(CouponCode(rule_id=rule.id, code=code, batch=batch, max_uses=1, channel=channel,
                                  customer_ref=customer_ref, created_at=now)
                       for code, (channel, customer_ref) in zip(codes, holders))
    db.session.flush()
    record("promotions.issue_codes", target=f"#{rule.id} {rule.name}", plugin="promotions",
           merchant_id=rule.merchant_id, actor=actor, summary={"batch": batch, "count": len(codes), "bound": True})
    return codes


def _rule_of(key, merchant_id):
    raw = str(key)[len(PREFIX):]
    rule = db.session.get(Rule, int(raw)) if raw.isascii() and raw.isdigit() else None
    if rule is None or rule.kind != COUPON or rule.merchant_id != merchant_id:
        raise IssueRefused(_("%(key)s is not a coupon of this store: choose one from the list.", key=key))
    return rule


def _holder(holder):
    channel, customer_ref = (str(part or "").strip() for part in holder)
    if not channel or not customer_ref or len(channel) > 32 or len(customer_ref) > 64:
        raise IssueRefused(_("%(holder)r is not a customer a code can be issued to (channel and reference).",
                             holder=holder))
    return channel, customer_ref


def forget_customer(channel, customer_ref):
    """Codes issued to ``(channel, customer_ref)`` are bound to a random
    stand-in instead: the person's reference is gone and nobody can present
    the codes any more; their uses and batches still add up."""
    stand_in = f"{ERASED}-{uuid.uuid4().hex}"
    return db.session.execute(update(CouponCode).where(CouponCode.channel == channel,
                                                       CouponCode.customer_ref == customer_ref)
                              .values(channel=ERASED, customer_ref=stand_in)
                              .execution_options(synchronize_session="fetch")).rowcount
