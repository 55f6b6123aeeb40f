"""Staff accounts: list, create, edit roles and merchant, deactivate, reset passwords.

Merchant staff manage only their own merchant's accounts; everyone else's
answer 404 (``get_or_404`` on the account's merchant). Nobody changes an
account that holds more than they do, nor deactivates themselves.
"""
from sqlalchemy.orm import selectinload
from sqlalchemy import exists, func, or_, select

from portal import access
from portal.access import MANAGE, READ, WRITE
from portal.auth import services as accounts
from portal.auth import passwords, sessions
from portal.auth.passwords import WeakPassword
from portal.audit import record
from portal.extensions import db
from portal.i18n import N_
from portal.models import Merchant, Role, User, user_role

from . import rules
from .roles import roles_query
from .rules import PLUGIN, PermissionsError, is_platform

RESOURCE = "permissions.user"
KEEP = object()  # "leave the merchant as it is" in update_user
SORTS = {
    "email": (User.email,), "-email": (User.email.desc(),),
    "name": (User.name, User.id), "-name": (User.name.desc(), User.id),
    "created": (User.created_at, User.id), "-created": (User.created_at.desc(), User.id.desc()),
    "last_login": (User.last_login_at, User.id), "-last_login": (User.last_login_at.desc(), User.id.desc()),
}


def users_query(actor, q="", merchant_id=None, role_id=None, active=None, sort="email"):
    """A sorted select of the accounts the actor sees, filtered. Every filter
    uses an index (merchant, the user-role key) except the text search, which
    scans e-mail and name."""
    access.require(RESOURCE, READ, actor)
    # the list shows each account's roles: load them for the whole page at once
    query = access.scoped(select(User).options(selectinload(User.roles)), User, READ, user=actor)
    q = (q or "").strip().lower()
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(func.lower(User.email).like(like, escape="\\"),
                                func.lower(User.name).like(like, escape="\\")))
    if merchant_id == "platform":
        query = query.where(User.merchant_id.is_(None))
    elif merchant_id is not None:
        query = query.where(User.merchant_id == merchant_id)
    if role_id is not None:
        query = query.where(exists().where(user_role.c.user_id == User.id, user_role.c.role_id == role_id))
    if active is not None:
        query = query.where(User.active.is_(active))
    return query.order_by(*SORTS.get(sort, SORTS["email"]))


def get_user(user_id, actor, level="read"):
    """One account the actor reaches at ``level``; 404 for another merchant's."""
    return access.get_or_404(User, user_id, RESOURCE, level, user=actor)


def _merchant_for(actor, merchant_id):
    """The merchant an account is placed in; merchant staff place accounts
    only in their own merchant (None from them means their own)."""
    if not is_platform(actor):
        if merchant_id not in (None, actor.merchant_id):
            raise PermissionsError(N_("Merchant: you manage only your own merchant's staff."))
        merchant_id = actor.merchant_id
    if access.access(actor).data_level("merchant", merchant_id) < WRITE:
        raise PermissionsError(N_("Merchant: there is no merchant %(id)s you may manage."), id=merchant_id)
    if merchant_id is None:
        return None
    merchant = db.session.get(Merchant, merchant_id)
    if merchant is None:
        raise PermissionsError(N_("Merchant: there is no merchant %(id)s you may manage."), id=merchant_id)
    return merchant


def _roles_for(actor, role_ids, merchant):
    """The chosen roles, each one the actor sees and fit for the account's merchant."""
    ids = {int(i) for i in role_ids}
    if not ids:
        raise PermissionsError(N_("Roles: choose at least one role."))
    roles = db.session.execute(roles_query(actor, READ).where(Role.id.in_(ids))).scalars().all()
    if len(roles) != len(ids):
        raise PermissionsError(N_("Roles: one of the chosen roles does not exist."))
    for role in roles:
        if merchant is None and role.kind != "platform":
            raise PermissionsError(N_("Roles: %(role)s is for merchant staff; choose a merchant or another "
                                      "role."), role=role.name)
        if merchant is not None and role.kind != "merchant":
            raise PermissionsError(N_("Roles: %(role)s is for platform staff, not merchant staff."), role=role.name)
        if merchant is not None and role.merchant_id not in (None, merchant.id):
            raise PermissionsError(N_("Roles: %(role)s belongs to another merchant."), role=role.name)
    return sorted(roles, key=lambda r: (r.name, r.id))


def create_user(actor, email, name, merchant_id, role_ids, password):
    """Create an account with an initial password that meets the policy."""
    access.require(RESOURCE, WRITE, actor)
    if len((name or "").strip()) > 200:
        raise PermissionsError(N_("Name: use at most 200 characters."))
    merchant = _merchant_for(actor, merchant_id)
    roles = _roles_for(actor, role_ids, merchant)
    try:
        email = accounts.normalise_email(email)
        if accounts.find_by_email(email) is not None:
            raise PermissionsError(N_("E-mail: an account with %(email)s already exists."), email=email)
        passwords.check_policy(password, email)
    except (accounts.AccountError, WeakPassword) as exc:
        raise PermissionsError(str(exc)) from None
    for role in roles:
        rules.check_role_assignable(actor, role, email, merchant.id if merchant else None)
    return accounts.create_user(email, password, roles, merchant, name=(name or "").strip(), actor=actor)


def update_user(actor, user_id, name, role_ids, merchant_id=KEEP):
    """Change an account's name, roles and (platform staff only) merchant.
    Moving an account to another merchant ends its sessions."""
    target = get_user(user_id, actor, WRITE)
    rules.check_may_manage_user(actor, target)
    name = (name or "").strip()
    if len(name) > 200:
        raise PermissionsError(N_("Name: use at most 200 characters."))
    merchant = target.merchant
    moved = merchant_id is not KEEP and merchant_id != target.merchant_id
    if moved:
        if not is_platform(actor):
            raise PermissionsError(N_("Merchant: only platform staff move accounts between merchants."))
        if target.id == actor.id:
            raise PermissionsError(N_("Merchant: you cannot move your own account."))
        merchant = _merchant_for(actor, merchant_id)
    roles = _roles_for(actor, role_ids, merchant)
    if target.id == actor.id:
        rules.check_keeps_management(actor, roles)
    for role in roles:
        if role not in target.roles:
            rules.check_role_assignable(actor, role, target.email, merchant.id if merchant else None)
    changes = _changes(target, name, roles, merchant)
    if changes:
        target.name = name or target.name
        target.merchant, target.roles = merchant, roles
        if moved:
            sessions.end_all(target, "merchant changed")
        record("user.update", target=target.email, plugin=PLUGIN, actor=actor,
               merchant_id=merchant.id if merchant else None, summary=changes)
    return target


def _changes(target, name, roles, merchant):
    changes = {}
    if name and name != target.name:
        changes["name"] = [target.name, name]
    before, after = sorted(r.name for r in target.roles), [r.name for r in roles]
    if before != sorted(after):
        changes["roles"] = [before, sorted(after)]
    if merchant is not target.merchant:
        changes["merchant"] = [target.merchant.code if target.merchant else None,
                               merchant.code if merchant else None]
    return changes


def set_active(actor, user_id, active):
    """Deactivate (ending every session) or reactivate an account."""
    target = get_user(user_id, actor, MANAGE)
    if target.id == actor.id and not active:
        raise PermissionsError(N_("You cannot deactivate your own account."))
    rules.check_may_manage_user(actor, target)
    if target.active != active:
        accounts.set_active(target, active, actor=actor)
    return target


def reset_password(actor, user_id, password):
    """Give an account a new password and end all its sessions."""
    target = get_user(user_id, actor, MANAGE)
    if target.id == actor.id:
        raise PermissionsError(N_("Change your own password on the My account page."))
    rules.check_may_manage_user(actor, target)
    try:
        accounts.change_password(target, password, actor=actor)
    except WeakPassword as exc:
        raise PermissionsError(str(exc)) from None
    return target


def visible_merchants(actor, level=WRITE):
    """Merchants the actor reaches at ``level`` (to place accounts in, or to
    filter by); empty for merchant staff, who have only their own."""
    if not is_platform(actor):
        return []
    query = select(Merchant)
    values = access.access(actor).values_at("merchant", access.level_value(level))
    if values is not None:
        query = query.where(Merchant.id.in_([int(v) for v in values if v.isdigit()]))
    return db.session.execute(query.order_by(Merchant.code)).scalars().all()
