"""Who sees which member: the platform sees all; a merchant's staff see the
members who bought from one of the merchants they hold (``MemberMerchant``).
Members carry no merchant of their own, so ``portal.access.scoped`` cannot
filter them: this module does, with the same grants."""
from flask import abort
from sqlalchemy import false, select

from portal import access
from portal.extensions import db

from ..models import IssuedCode, Member, MemberMerchant

MEMBER = "members.member"


def merchant_ids(level="read", user=None):
    """The merchants whose buyers the user reaches at ``level``; None for all."""
    values = access.access(user).values_at("merchant", access.level_value(level))
    return None if values is None else {int(v) for v in values if str(v).isdigit()}


def scoped_members(query, level="read", user=None):
    """Filter a select over ``Member`` to the members the user may reach."""
    ids = merchant_ids(level, user)
    if ids is None:
        return query
    if not ids:
        return query.where(false())
    return query.where(Member.id.in_(select(MemberMerchant.member_id).where(MemberMerchant.merchant_id.in_(ids))))


def visible_codes(query, user=None):
    """Narrow a select over ``IssuedCode`` to the codes the user's stores
    issued (all of them for the platform): a member shared by two stores
    does not show one store's coupons to the other."""
    ids = merchant_ids("read", user)
    return query if ids is None else query.where(IssuedCode.merchant_id.in_(ids))


def reachable(member_id, level="read", user=None):
    """Is this member within the user's data scope at ``level``?"""
    query = scoped_members(select(Member.id).where(Member.id == member_id), level, user)
    return db.session.execute(query).first() is not None


def member_or_404(member_id, resource=MEMBER, level="read", user=None):
    """The member, 404 when unknown or outside the user's scope, 403 when the
    functional level is too low."""
    try:
        member_id = int(member_id)
    except (TypeError, ValueError):
        abort(404)
    member = db.session.get(Member, member_id)
    if member is None or not reachable(member_id, "read", user):
        abort(404)
    if not access.has_level(resource, level, user) or not reachable(member_id, level, user):
        abort(403)
    return member
