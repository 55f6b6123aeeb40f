"""Grants: a role's level per resource (the matrix), and data grants (a level
on a scope value) for a role or one account. Nobody grants above their own
level; a refused attempt leaves an audit row."""
from flask import abort
from sqlalchemy import select

from portal import access
from portal.access import ALL, MANAGE, NONE, OWN, PLATFORM_ADMIN, READ, level_name, level_value
from portal.audit import record
from portal.extensions import db
from portal.i18n import N_
from portal.models import DataGrant, RoleGrant
from portal.plugins import kernel

from . import rules
from .roles import get_role
from .rules import ANY_MERCHANT, PLUGIN, PermissionsError, held, is_platform
from .users import get_user


def _level(level, allow_none=True):
    try:
        lv = level_value(level)
    except ValueError:
        raise PermissionsError(N_("Level: choose none, read, write or manage.")) from None
    if lv == NONE and not allow_none:
        raise PermissionsError(N_("Level: choose read, write or manage; to take a grant away, remove it."))
    return lv


def grant_matrix(role, actor):
    """Rows for the matrix, grouped by plugin: ``[(title, [row, ...]), ...]``;
    a row holds the resource, the role's level and the actor's own ceiling."""
    levels = rules.role_levels(role)
    k = kernel()
    groups = []
    by_plugin = access.registry().by_plugin()
    for plugin in ["core"] + [name for name in k.names if name != "core"]:
        resources = by_plugin.get(plugin)
        if not resources:
            continue
        title = N_("Core") if plugin == "core" else k.meta(plugin).title
        groups.append((title, [matrix_row(res, levels, actor) for res in resources]))
    return groups


def matrix_row(resource, levels, actor):
    """One row of the matrix (also the HTMX partial's context)."""
    return {"resource": resource, "level": levels.get(resource.name, NONE), "held": held(actor, resource.name)}


def set_grant(actor, role_id, resource, level):
    """Set a role's level on one resource (``none`` removes the grant)."""
    role = get_role(role_id, actor, MANAGE)
    if resource not in access.registry().resources:
        raise PermissionsError(N_("There is no permission named %(name)s."), name=resource)
    lv = _level(level)
    if role.builtin == PLATFORM_ADMIN:
        raise PermissionsError(N_("The platform admin role always holds every permission."))
    current = rules.role_levels(role).get(resource, NONE)
    if lv == current:
        return role
    if lv > held(actor, resource):
        rules.refuse(actor, "role.grant_refused", f"{role.name}: {resource}", role.merchant_id,
                     N_("You cannot grant %(level)s on %(resource)s: you hold only %(held)s."),
                     level=level_name(lv), resource=resource, held=level_name(held(actor, resource)))
    if role in actor.roles:
        rules.check_keeps_management(actor, actor.roles, change=(role, resource, lv))
    grant = next((g for g in role.grants if g.resource == resource), None)
    if lv == NONE:
        role.grants.remove(grant)
    elif grant is None:
        role.grants.append(RoleGrant(resource=resource, level=lv))
    else:
        grant.level = lv
    db.session.flush()
    record("role.grant", target=role.name, plugin=PLUGIN, actor=actor, merchant_id=role.merchant_id,
           summary={"resource": resource, "from": level_name(current), "to": level_name(lv)})
    return role


# -- data grants ------------------------------------------------------------------

def _holder(actor, role_id, user_id):
    """The role or account whose data grants change, reached at manage."""
    if (role_id is None) == (user_id is None):
        raise PermissionsError(N_("Choose a role or an account to grant to."))
    if role_id is not None:
        role = get_role(role_id, actor, MANAGE)
        if role.builtin == PLATFORM_ADMIN:
            raise PermissionsError(N_("The platform admin role always keeps its data grants."))
        return role
    user = get_user(user_id, actor, MANAGE)
    rules.check_may_manage_user(actor, user)
    return user


def data_grants_of(holder):
    """The holder's data grants, with a label for each value."""
    column = DataGrant.user_id if hasattr(holder, "email") else DataGrant.role_id
    rows = db.session.execute(select(DataGrant).where(column == holder.id)
                              .order_by(DataGrant.scope, DataGrant.value)).scalars().all()
    scopes = access.registry().scopes
    return [(row, scopes[row.scope].title if row.scope in scopes else row.scope,
             value_label(scopes.get(row.scope), row.value)) for row in rows]


def value_label(scope, value):
    """A scope value as people read it ("All merchants", "M0001 Shop")."""
    for choice, label in _choices(scope):
        if choice == value:
            return label
    return value


def _choices(scope):
    if scope is None or scope.choices is None:
        return [(ALL, N_("All")), (OWN, N_("The holder's own merchant"))]
    return list(scope.choices())


def grantable_values(actor, holder, scope):
    """The values of ``scope`` the actor could grant the holder (at read at
    least) and that would mean something for the holder."""
    own = rules.holder_merchant(holder)
    return [(value, label) for value, label in _choices(scope)
            if rules.counts_for(scope.name, value, own) and rules.data_within(actor, scope.name, value, READ, own)]


def _check_value(scope, value, own):
    values = {v for v, _ in _choices(scope)} if scope.choices is not None else None
    if not value or (values is not None and value not in values):
        raise PermissionsError(N_("Value: %(value)s is not a value of %(scope)s."), value=value or "—",
                               scope=scope.title)
    if value == OWN and own is None:
        raise PermissionsError(N_("Value: %(own)s means the holder's own merchant; platform roles and "
                                  "accounts have none."), own=OWN)
    if not rules.counts_for(scope.name, value, own):
        raise PermissionsError(N_("Value: merchant staff reach only their own merchant; choose %(own)s."),
                               own=OWN)


def add_data_grant(actor, scope, value, level, role_id=None, user_id=None):
    """Grant a level on a scope value to a role or an account (an existing
    grant on the same value changes level)."""
    holder = _holder(actor, role_id, user_id)
    label = getattr(holder, "email", None) or holder.name
    value = (value or "").strip()
    if scope == "merchant" and value == ALL and not is_platform(actor):
        rules.refuse(actor, "data_grant.refused", label, holder.merchant_id,
                     N_("Merchant staff can never grant all merchants."))
    spec = access.registry().scopes.get(scope)
    if spec is None:
        raise PermissionsError(N_("Scope: there is no data scope named %(name)s."), name=scope or "—")
    lv = _level(level, allow_none=False)
    own = rules.holder_merchant(holder)
    _check_value(spec, value, own)
    if not rules.data_within(actor, scope, value, lv, own):
        rules.refuse(actor, "data_grant.refused", label, _merchant_of(holder, own),
                     N_("You cannot grant %(level)s on %(scope)s %(value)s: you hold less there."),
                     level=level_name(lv), scope=spec.title, value=value_label(spec, value))
    return _save_data_grant(actor, holder, label, scope, value, lv)


def _merchant_of(holder, own):
    return None if own is None or own is ANY_MERCHANT else own


def _save_data_grant(actor, holder, label, scope, value, lv):
    is_user = hasattr(holder, "email")
    column = DataGrant.user_id if is_user else DataGrant.role_id
    grant = db.session.execute(select(DataGrant).where(column == holder.id, DataGrant.scope == scope,
                                                       DataGrant.value == value)).scalar_one_or_none()
    before = grant.level if grant is not None else NONE
    if grant is None:
        grant = DataGrant(scope=scope, value=value, level=lv)
        if is_user:
            grant.user_id = holder.id
            db.session.add(grant)
        else:
            holder.data_grants.append(grant)  # keeps the loaded collection current
    grant.level = lv
    db.session.flush()
    record("data_grant.set", target=label, plugin=PLUGIN, actor=actor,
           merchant_id=_merchant_of(holder, rules.holder_merchant(holder)),
           summary={"scope": scope, "value": value, "from": level_name(before), "to": level_name(lv)})
    return grant


def remove_data_grant(actor, grant_id, role_id=None, user_id=None):
    """Take a data grant away from its role or account (when given, the grant
    must belong to that role or account: 404 otherwise)."""
    grant = db.session.get(DataGrant, grant_id)
    if grant is None or (role_id is not None and grant.role_id != role_id) or \
            (user_id is not None and grant.user_id != user_id):
        abort(404)
    holder = _holder(actor, grant.role_id, grant.user_id)
    label = getattr(holder, "email", None) or holder.name
    record("data_grant.remove", target=label, plugin=PLUGIN, actor=actor,
           merchant_id=_merchant_of(holder, rules.holder_merchant(holder)),
           summary={"scope": grant.scope, "value": grant.value, "level": level_name(grant.level)})
    if grant.role is not None:
        grant.role.data_grants.remove(grant)
    db.session.delete(grant)
    db.session.flush()
    return holder
