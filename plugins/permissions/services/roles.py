"""Roles: who sees which, creating, renaming and deleting them.

Platform staff with the data scope "all merchants" see every role. Merchant
staff see their own merchant's roles and, read-only, the merchant roles every
merchant shares (the built-in ones); another merchant's roles answer 404.
"""
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select

from portal import access
from portal.access import MANAGE, READ, WRITE, level_value
from portal.audit import record
from portal.extensions import db
from portal.i18n import N_
from portal.models import Merchant, Role, user_role

from .rules import PLUGIN, PermissionsError, check_may_manage_role, is_platform

RESOURCE = "permissions.role"


def _shared_merchant_role(role):
    return role.merchant_id is None and role.kind == "merchant"


def roles_query(actor, level=READ):
    """A select of the roles the actor reaches at ``level`` (never another merchant's)."""
    lv = level_value(level)
    query = select(Role)
    values = access.access(actor).values_at("merchant", lv)
    if values is None:
        return query
    ids = [int(v) for v in values if v.isdigit()]
    mine = Role.merchant_id.in_(ids) if ids else Role.id.is_(None)
    if lv == READ:
        mine = or_(mine, and_(Role.merchant_id.is_(None), Role.kind == "merchant"))
    return query.where(mine)


def get_role(role_id, actor, level="read"):
    """One role the actor reaches at ``level``: 404 outside their scope, 403
    (``AccessDenied``) when they may only read it; to change it, the actor must
    also hold everything it grants (``PermissionsError`` otherwise)."""
    lv = level_value(level)
    role = db.session.get(Role, role_id)
    if role is not None and _shared_merchant_role(role) and not is_platform(actor):
        access.require(RESOURCE, READ, actor)
        if lv > READ:
            raise access.AccessDenied(
                _("Roles shared by every merchant are changed by the platform; create your own role instead."))
        return role
    role = access.get_or_404(Role, role_id, RESOURCE, lv, user=actor)
    if lv > READ:
        check_may_manage_role(actor, role)
    return role


def list_roles(actor):
    """The roles the actor sees with how many accounts hold each, shared ones first."""
    access.require(RESOURCE, READ, actor)
    holders = (select(user_role.c.role_id, func.count().label("n")).group_by(user_role.c.role_id).subquery())
    query = roles_query(actor, READ).add_columns(func.coalesce(holders.c.n, 0)) \
        .outerjoin(holders, holders.c.role_id == Role.id) \
        .order_by(Role.merchant_id.is_not(None), Role.kind, Role.name, Role.id)
    return [(role, count) for role, count in db.session.execute(query)]


def holder_count(role):
    """How many accounts hold ``role``."""
    return db.session.execute(
        select(func.count()).select_from(user_role).where(user_role.c.role_id == role.id)).scalar()


def _clean_name(name, description):
    name = (name or "").strip()
    description = (description or "").strip()
    if not name:
        raise PermissionsError(N_("Name: enter a name for the role."))
    if len(name) > 100:
        raise PermissionsError(N_("Name: use at most 100 characters."))
    if len(description) > 500:
        raise PermissionsError(N_("Description: use at most 500 characters."))
    return name, description


def _check_unique(name, merchant_id, exclude_id=None):
    """Names are unique among a merchant's roles and the shared ones it sees
    beside them (the database cannot check NULL merchant ids)."""
    same_space = Role.merchant_id.is_(None) if merchant_id is None \
        else or_(Role.merchant_id == merchant_id, Role.merchant_id.is_(None))
    query = select(Role.id).where(func.lower(Role.name) == name.lower(), same_space)
    if exclude_id is not None:
        query = query.where(Role.id != exclude_id)
    if db.session.execute(query).first() is not None:
        raise PermissionsError(N_("Name: a role named %(name)s already exists."), name=name)


def _owner_for_new_role(actor, kind, merchant_id):
    """Merchant staff make merchant roles for their own merchant only."""
    if kind not in Role.KINDS:
        raise PermissionsError(N_("Kind: choose platform or merchant."))
    if not is_platform(actor):
        if kind != "merchant":
            raise PermissionsError(N_("Kind: merchant staff create merchant roles only."))
        return actor.merchant_id
    if merchant_id is not None and kind != "merchant":
        raise PermissionsError(N_("Kind: a role for one merchant must be a merchant role."))
    if access.access(actor).data_level("merchant", merchant_id) < WRITE or \
            (merchant_id is not None and db.session.get(Merchant, merchant_id) is None):
        raise PermissionsError(N_("Merchant: there is no merchant %(id)s you may manage."), id=merchant_id)
    return merchant_id


def create_role(actor, name, kind, description="", merchant_id=None):
    """Create a role without grants; ``merchant_id`` only for platform staff."""
    access.require(RESOURCE, WRITE, actor)
    name, description = _clean_name(name, description)
    owner = _owner_for_new_role(actor, kind, merchant_id)
    _check_unique(name, owner)
    role = Role(name=name, kind=kind, description=description, merchant_id=owner)
    db.session.add(role)
    db.session.flush()
    record("role.create", target=name, plugin=PLUGIN, actor=actor, merchant_id=owner,
           summary={"kind": kind, "merchant_id": owner})
    return role


def update_role(actor, role_id, name, description):
    """Rename a role or change its description (built-in roles too)."""
    role = get_role(role_id, actor, WRITE)
    name, description = _clean_name(name, description)
    if name.lower() != role.name.lower():
        _check_unique(name, role.merchant_id, exclude_id=role.id)
    changes = {}
    if name != role.name:
        changes["name"] = [role.name, name]
    if description != role.description:
        changes["description"] = [role.description, description]
    if changes:
        role.name, role.description = name, description
        record("role.update", target=name, plugin=PLUGIN, actor=actor, merchant_id=role.merchant_id,
               summary=changes)
    return role


def delete_role(actor, role_id):
    """Delete a role nobody holds; built-in roles are never deleted."""
    role = get_role(role_id, actor, MANAGE)
    if role.builtin:
        raise PermissionsError(N_("%(name)s is a built-in role: it can be edited but not deleted."),
                               name=role.name)
    count = holder_count(role)
    if count:
        raise PermissionsError(N_("%(count)d account(s) still hold the role %(name)s; give them another "
                                  "role first."), count=count, name=role.name)
    record("role.delete", target=role.name, plugin=PLUGIN, actor=actor, merchant_id=role.merchant_id,
           summary={"kind": role.kind, "grants": {g.resource: g.level for g in role.grants}})
    db.session.delete(role)
    db.session.flush()


def assignable_roles(actor, merchant_id):
    """Roles that may go to an account of ``merchant_id`` (None: platform) and
    that the actor sees; whether the actor may give each is checked on save."""
    query = roles_query(actor, READ)
    if merchant_id is None:
        query = query.where(Role.kind == "platform")
    else:
        query = query.where(Role.kind == "merchant",
                            or_(Role.merchant_id.is_(None), Role.merchant_id == merchant_id))
    return db.session.execute(query.order_by(Role.name)).scalars().all()

