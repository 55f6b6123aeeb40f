"""Access control: levels, functional permissions, data scopes, enforcement.

A user's level on a record is the lower of
- the functional level: the highest level any of the user's roles grants on the
  record's resource (``catalog.product``), "none" when its plugin is off; and
- the data level: the highest level granted on the record's scope value
  (its merchant, its warehouse) to the user or to one of the user's roles.

Enforcement is on the server: ``scoped()`` filters queries so records outside
the user's scope are never listed nor counted, ``get_or_404()`` answers 404 for
them, and ``require()`` guards views and services.
"""
from dataclasses import dataclass, field
from functools import wraps

from flask import abort, g, has_request_context
from flask_babel import gettext as _
from flask_login import current_user
from flask_principal import Permission, Need, identity_loaded
from sqlalchemy import event, false, or_, select
from sqlalchemy.orm import Session

from .extensions import db
from .i18n import N_
from .models import DataGrant, Role, User, user_role

NONE, READ, WRITE, MANAGE = 0, 1, 2, 3
LEVELS = {"none": NONE, "read": READ, "write": WRITE, "manage": MANAGE}
LEVEL_NAMES = {v: k for k, v in LEVELS.items()}
ALL = "*"
OWN = "@own"
PLATFORM_ADMIN = "platform_admin"


def level_value(level):
    """Accept ``"write"`` or ``2``; return the int; refuse anything else."""
    if isinstance(level, int) and not isinstance(level, bool) and level in LEVEL_NAMES:
        return level
    try:
        return LEVELS[level.lower()]
    except (KeyError, AttributeError):
        raise ValueError(f"unknown level {level!r}; use none, read, write or manage") from None


def level_name(level):
    """``2`` or ``"write"`` -> ``"write"``."""
    return LEVEL_NAMES[level_value(level)]


class AccessDenied(Exception):
    """The acting user lacks the level a service needs; views answer 403."""


@dataclass(frozen=True)
class Resource:
    """A functional permission a plugin declares (``catalog.product``)."""

    name: str
    title: str
    description: str = ""
    plugin: str = ""
    # level each built-in role gets when roles are set up: {"merchant_admin": "manage"}
    defaults: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class DataScope:
    """A kind of data permission (``merchant``, ``warehouse``).

    ``choices`` returns ``[(value, label), ...]`` for the grant editor;
    ``column`` names the attribute on models that carries the scope value.
    """

    name: str
    title: str
    choices: object = None
    column: str = ""
    plugin: str = ""
    # grant each built-in role gets when roles are set up: {"merchant_admin": ("*", "manage")}
    defaults: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass
class Registry:
    """Every resource and data scope declared at start-up, with the plugin
    that declared it; a name is declared once."""

    resources: dict = field(default_factory=dict)
    scopes: dict = field(default_factory=dict)

    def add_resource(self, plugin, resource):
        """Declare a resource for ``plugin``; ValueError naming the plugin when
        the name lacks the plugin's prefix or is taken."""
        if not resource.name.startswith(plugin + "."):
            raise ValueError(f"plugin {plugin!r}: permission {resource.name!r} must start with '{plugin}.'")
        if resource.name in self.resources:
            other = self.resources[resource.name].plugin
            raise ValueError(f"plugin {plugin!r}: permission {resource.name!r} is already declared by {other!r}")
        self.resources[resource.name] = Resource(resource.name, resource.title, resource.description,
                                                 plugin, dict(resource.defaults))

    def add_scope(self, plugin, scope):
        """Declare a data scope for ``plugin``; ValueError naming both plugins when taken."""
        if scope.name in self.scopes:
            other = self.scopes[scope.name].plugin
            raise ValueError(f"plugin {plugin!r}: data scope {scope.name!r} is already declared by {other!r}")
        self.scopes[scope.name] = DataScope(scope.name, scope.title, scope.choices, scope.column, plugin,
                                            dict(scope.defaults))

    def by_plugin(self):
        """``{plugin: [Resource, ...]}``."""
        grouped = {}
        for res in self.resources.values():
            grouped.setdefault(res.plugin, []).append(res)
        return grouped


def registry():
    """The current application's ``Registry``."""
    from flask import current_app
    return current_app.extensions["portal.access"]


# -- computing a user's access --------------------------------------------------

@dataclass
class UserAccess:
    """Everything needed to answer "may this user do this", computed once per request."""

    user: object
    functional: dict  # resource -> level (before plugin state)
    data: dict  # scope -> {value: level}; value may be ALL
    # what is worked out from the grants (``needs``), shared by every request
    # that reads this user's grants from the process cache
    derived: dict = field(default_factory=dict)

    def level(self, resource):
        """The functional level on a resource, "none" while its plugin is off."""
        from .plugins import kernel
        plugin = resource.split(".", 1)[0]
        if plugin != "core" and not kernel().is_enabled(plugin, getattr(self.user, "merchant_id", None)):
            return NONE
        return self.functional.get(resource, NONE)

    def needs(self):
        """The Flask-Principal needs of the levels held now: ``catalog.product:read``
        and every lower level. Kept with the grants while the plugin state,
        which can turn levels off, stays the same."""
        from .plugins import STATE_KEY, versions
        version = versions().get(STATE_KEY, 0)
        kept = self.derived.get("needs")
        if kept is None or kept[0] != version:
            kept = self.derived["needs"] = (version, frozenset(
                Need("portal", f"{resource}:{LEVEL_NAMES[lv]}")
                for resource in self.functional for lv in range(READ, self.level(resource) + 1)))
        return kept[1]

    def data_level(self, scope, value):
        """The level granted on one scope value (``"*"`` grants count for every value)."""
        grants = self.data.get(scope, {})
        best = grants.get(ALL, NONE)
        if value is not None:
            best = max(best, grants.get(str(value), NONE))
        return best

    def record_level(self, resource, scopes):
        """Effective level on a record: ``scopes`` maps scope name -> the
        record's value (None for platform-owned records)."""
        level = self.level(resource)
        for scope, value in scopes.items():
            level = min(level, self.data_level(scope, value))
        return level

    def values_at(self, scope, level):
        """The scope values the user holds at ``level`` or above; None means all."""
        grants = self.data.get(scope, {})
        if grants.get(ALL, NONE) >= level:
            return None
        return {v for v, lv in grants.items() if lv >= level and v != ALL}


def compute_access(user):
    """Build a user's ``UserAccess`` from its roles and personal data grants."""
    functional, data = {}, {}
    if user is None or not getattr(user, "is_authenticated", False):
        return UserAccess(user, functional, data)
    if hasattr(user, "portal_grants"):  # an identity that carries its own grants (an API token)
        return UserAccess(user, *user.portal_grants())
    role_ids = [r.id for r in user.roles]
    for role in user.roles:
        if role.builtin == PLATFORM_ADMIN:
            # the platform's administrators hold every resource, including
            # those of plugins installed after the role was made
            functional.update({name: MANAGE for name in registry().resources})
        for grant in role.grants:
            functional[grant.resource] = max(functional.get(grant.resource, NONE), grant.level)
    rows = db.session.execute(
        select(DataGrant).where(or_(DataGrant.user_id == user.id,
                                    DataGrant.role_id.in_(role_ids) if role_ids else false()))
    ).scalars()
    for row in rows:
        value = row.value
        if value == OWN:
            if user.merchant_id is None:
                continue
            value = str(user.merchant_id)
        elif user.merchant_id is not None and row.scope == "merchant" and value != str(user.merchant_id):
            # merchant staff never reach another merchant, whatever a role says
            continue
        scope = data.setdefault(row.scope, {})
        scope[value] = max(scope.get(value, NONE), row.level)
    if user.merchant_id is None and any(r.builtin == PLATFORM_ADMIN for r in user.roles):
        # every data scope, also those a plugin declares after the role was made
        for name in registry().scopes:
            data.setdefault(name, {})[ALL] = MANAGE
    return UserAccess(user, functional, data)


ACCESS_KEY = "access"  # the state counter bumped by any change to grants
_ACCESS_DIRTY = "portal_access_dirty"  # this session holds such a change, uncommitted


def access(user=None):
    """The access of ``user`` (default: the signed-in user): per request, and
    per process while no grant, role or user assignment has changed anywhere."""
    if user is None:
        user = current_user._get_current_object() if has_request_context() else None
    if has_request_context():
        cache = g.setdefault("portal_access", {})
        key = getattr(user, "access_key", None) or getattr(user, "id", None)
        if key not in cache:
            cache[key] = _process_cached(user)
        return cache[key]
    return compute_access(user)


def _process_cached(user):
    if user is None or not getattr(user, "is_authenticated", False) or hasattr(user, "portal_grants"):
        return compute_access(user)
    from flask import current_app
    from .plugins import versions
    version = versions().get(ACCESS_KEY, 0)
    cache = current_app.extensions.get("portal.access_cache")
    if cache is None or cache["version"] != version:
        cache = current_app.extensions["portal.access_cache"] = {"version": version, "users": {}}
    hit = cache["users"].get(user.id)
    if hit is not None:
        return UserAccess(user, *hit)
    result = compute_access(user)
    # a change of this very transaction may still be rolled back: do not keep it
    if not db.session.info.get(_ACCESS_DIRTY):
        cache["users"][user.id] = (result.functional, result.data, result.derived)
    return result


def _changes_access(session):
    from sqlalchemy import inspect
    from .models import RoleGrant
    watched = (Role, RoleGrant, DataGrant)
    for obj in list(session.new) + list(session.deleted):
        if isinstance(obj, watched + (User,)):
            return True
    for obj in session.dirty:
        if isinstance(obj, watched) and session.is_modified(obj):
            return True
        if isinstance(obj, User):
            attrs = inspect(obj).attrs
            if any(attrs[name].history.has_changes() for name in ("roles", "merchant_id", "active")):
                return True
    return False


@event.listens_for(Session, "before_flush")
def _bump_access_version(session, flush_context, instances):
    """Any change to roles, grants or who holds them tells every process to
    recompute access (in the same transaction as the change)."""
    if session.info.get(_ACCESS_DIRTY) or not _changes_access(session):
        return
    from .plugins import bump_version
    bump_version(ACCESS_KEY, connection=session.connection())
    session.info[_ACCESS_DIRTY] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _access_settled(session):
    session.info.pop(_ACCESS_DIRTY, None)


def has_level(resource, level, user=None):
    """Does the user (default: the signed-in one) hold ``level`` on ``resource``?"""
    return access(user).level(resource) >= level_value(level)


def require(resource, level, user=None):
    """Raise ``AccessDenied`` unless the user holds ``level`` on ``resource``."""
    if not has_level(resource, level, user):
        raise AccessDenied(_("You need %(level)s access to %(resource)s.", level=_(level_name(level)), resource=resource))


def permission_required(resource, level="read"):
    """View decorator: 403 unless the signed-in user holds the level.

    Goes through Flask-Principal, whose identity carries one need per level held."""
    perm = Permission(Need("portal", f"{resource}:{level_name(level)}"))

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                from flask import current_app
                return current_app.login_manager.unauthorized()
            if not perm.can():
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


@identity_loaded.connect
def _provide_needs(sender, identity):
    """Turn the user's grants into Principal needs: ``catalog.product:read`` and
    every lower level, so a Permission for any level checks membership."""
    if not current_user.is_authenticated:
        return
    identity.provides.update(access().needs())


# -- queries --------------------------------------------------------------------

def scope_columns(model):
    """``{scope: column}`` for a model: from ``__portal_scopes__`` or, by default,
    its ``merchant_id`` column."""
    declared = getattr(model, "__portal_scopes__", None)
    if declared is not None:
        return {scope: getattr(model, attr) for scope, attr in declared.items()}
    if hasattr(model, "merchant_id"):
        return {"merchant": model.merchant_id}
    return {}


def _merchant_fence(model, user_access):
    """For merchant staff, the ``merchant_id`` column of a model whose declared
    scopes leave the merchant out (``{"warehouse": ...}``), else None: a grant
    on another scope must never open another merchant's rows."""
    merchant_id = getattr(user_access.user, "merchant_id", None)
    column = getattr(model, "merchant_id", None)
    if merchant_id is None or column is None or "merchant" in scope_columns(model):
        return None
    return column


def scoped(query, model, level="read", user=None):
    """Filter a select to the records where the user's data level is at least
    ``level``; records outside are neither returned nor counted."""
    user_access = access(user)
    lv = level_value(level)
    fence = _merchant_fence(model, user_access)
    if fence is not None:
        query = query.where(or_(fence.is_(None), fence == user_access.user.merchant_id))
    for scope, column in scope_columns(model).items():
        values = user_access.values_at(scope, lv)
        if values is None:
            continue
        if not values:
            return query.where(false())
        typed = [_typed(column, v) for v in values]
        query = query.where(column.in_(typed))
    return query


def _typed(column, value):
    try:
        python_type = column.type.python_type
    except (NotImplementedError, AttributeError):
        return value
    return python_type(value) if python_type is int else value


def record_level(resource, obj, user=None):
    """The user's effective level on one loaded record (see ``UserAccess.record_level``)."""
    scopes = {scope: getattr(obj, col.key) for scope, col in scope_columns(type(obj)).items()}
    return access(user).record_level(resource, scopes)


def get_or_404(model, ident, resource, level="read", user=None):
    """Load one record the user may reach at ``level``; 404 when it does not
    exist or lies outside the user's data scope, 403 when the scope is fine but
    the functional level is too low."""
    obj = db.session.get(model, _primary_key(model, ident))
    if obj is None:
        abort(404)
    lv = level_value(level)
    user_access = access(user)
    fence = _merchant_fence(model, user_access)
    if fence is not None and getattr(obj, fence.key) not in (None, user_access.user.merchant_id):
        abort(404)
    scopes = {scope: getattr(obj, col.key) for scope, col in scope_columns(model).items()}
    for scope, value in scopes.items():
        if user_access.data_level(scope, value) < READ:
            abort(404)
    if user_access.record_level(resource, scopes) < lv:
        abort(403)
    return obj


def _primary_key(model, ident):
    """``ident`` converted to the primary key's type; 404 when it cannot be
    (PostgreSQL would fail on ``'abc'`` for an integer key)."""
    columns = model.__mapper__.primary_key
    if len(columns) != 1 or isinstance(ident, (tuple, dict)):
        return ident
    try:
        python_type = columns[0].type.python_type
    except NotImplementedError:
        return ident
    try:
        return ident if isinstance(ident, python_type) else python_type(ident)
    except (TypeError, ValueError):
        abort(404)


def users_with_role_query(role_id):
    """A select of the users holding a role."""
    return select(User).join(user_role).where(user_role.c.role_id == role_id)


def role_ceiling(role, user=None):
    """True when the granter holds at least every level the role grants, so
    assigning it gives nobody more than the granter has."""
    user_access = access(user)
    if role.builtin == PLATFORM_ADMIN:
        # it has no grant rows, yet holds everything (compute_access)
        return all(user_access.level(name) >= MANAGE for name in registry().resources)
    return all(user_access.level(g.resource) >= g.level for g in role.grants)


__all__ = [
    "NONE", "READ", "WRITE", "MANAGE", "LEVELS", "Resource", "DataScope", "AccessDenied",
    "access", "has_level", "require", "permission_required", "scoped", "get_or_404",
    "record_level", "level_value", "level_name", "Role",
]


# -- what the core itself guards, and the built-in roles --------------------------

PLATFORM_OPERATOR, FINANCE, MERCHANT_ADMIN, MERCHANT_STAFF = (
    "platform_operator", "finance", "merchant_admin", "merchant_staff")

BUILTIN_ROLES = {
    # builtin key: (name, kind, description, data level on merchants)
    PLATFORM_ADMIN: (N_("Platform admin"), "platform", N_("Runs the platform: every module, every merchant."), ("*", MANAGE)),
    PLATFORM_OPERATOR: (N_("Platform operator"), "platform", N_("Day-to-day operations across all merchants."), ("*", WRITE)),
    FINANCE: (N_("Finance"), "platform", N_("Reconciliation, settlement and payouts."), ("*", MANAGE)),
    MERCHANT_ADMIN: (N_("Merchant admin"), "merchant", N_("Runs one merchant's store and its staff."), (OWN, MANAGE)),
    MERCHANT_STAFF: (N_("Merchant staff"), "merchant", N_("Works in one merchant's store."), (OWN, WRITE)),
}

CORE_RESOURCES = [
    Resource("core.plugins", N_("Plugins"), N_("See modules; manage switches them on and off."),
             defaults={PLATFORM_OPERATOR: "read", MERCHANT_ADMIN: "manage", MERCHANT_STAFF: "read"}),
    Resource("core.merchant", N_("Merchants"), N_("The platform's merchants and their status."),
             defaults={PLATFORM_OPERATOR: "write", FINANCE: "read", MERCHANT_ADMIN: "read"}),
    Resource("core.settings", N_("Settings"), N_("Platform and merchant settings."),
             defaults={PLATFORM_OPERATOR: "read", MERCHANT_ADMIN: "manage"}),
    Resource("core.api_token", N_("API tokens"), N_("Tokens for sales channels and integrations."),
             defaults={MERCHANT_ADMIN: "manage"}),
    Resource("core.currency", N_("Currencies and rates"), N_("Currencies and dated exchange rates."),
             defaults={PLATFORM_OPERATOR: "read", FINANCE: "manage", MERCHANT_ADMIN: "read", MERCHANT_STAFF: "read"}),
    Resource("core.jobs", N_("Scheduled jobs"), N_("See and run scheduled jobs."),
             defaults={PLATFORM_OPERATOR: "read"}),
]


def _merchant_choices():
    from .models import Merchant
    rows = db.session.execute(select(Merchant).order_by(Merchant.code)).scalars()
    return [(ALL, N_("All merchants")), (OWN, N_("The user's own merchant"))] + [(str(m.id), str(m)) for m in rows]


CORE_SCOPES = [DataScope("merchant", N_("Merchant"), _merchant_choices, "merchant_id")]


def sync_builtin_roles():
    """Create the built-in roles that are missing and give each the default
    level of every resource, and the default grant of every data scope, it has
    no grant for yet; edits are kept."""
    from .models import RoleGrant
    resources = registry().resources.values()
    scopes = registry().scopes.values()
    for key, (name, kind, description, (scope_value, data_level)) in BUILTIN_ROLES.items():
        role = db.session.execute(select(Role).where(Role.builtin == key)).scalar_one_or_none()
        if role is None:
            role = Role(name=name, kind=kind, description=description, builtin=key)
            role.data_grants.append(DataGrant(scope="merchant", value=scope_value, level=data_level))
            db.session.add(role)
        have = {g.resource for g in role.grants}
        for res in resources:
            default = res.defaults.get(key)
            if res.name not in have and default:
                role.grants.append(RoleGrant(resource=res.name, level=level_value(default)))
        granted = {g.scope for g in role.data_grants}
        for scope in scopes:
            if scope.name not in granted and scope.defaults.get(key):
                value, level = scope.defaults[key]
                role.data_grants.append(DataGrant(scope=scope.name, value=value, level=level_value(level)))
    db.session.flush()
