"""The rules every change obeys: nobody gives more than they hold, merchant
staff stay inside their merchant, nobody locks themselves out.

Ceilings compare against what the actor's roles *grant* (``functional``), not
the level of the moment: a plugin switched off for a while pauses a grant
without taking away the right to hand it on.
"""
from flask_babel import gettext

from portal import access
from portal.access import ALL, MANAGE, NONE, OWN, PLATFORM_ADMIN
from portal.audit import record
from portal.i18n import N_

PLUGIN = "permissions"
# manage on these is what lets someone run accounts and roles; nobody may take it from themselves
MANAGING = ("permissions.user", "permissions.role")
# the holder's merchant when it can be any merchant (a role shared by every merchant)
ANY_MERCHANT = object()


class PermissionsError(Exception):
    """A change that cannot be made; the message says why. Keeps the English
    source text and its parameters so a view can show it translated."""

    def __init__(self, message, **params):
        self.message, self.params = message, params
        super().__init__(message % params if params else message)

    def translated(self):
        """The message in the signed-in user's language (needs a request)."""
        return gettext(self.message, **self.params)


class Refused(PermissionsError):
    """An attempt to give more than the actor holds. The audit row describing
    it is already in the session and nothing else was changed: the caller
    commits it."""


def refuse(actor, action, target, merchant_id, message, **params):
    """Record a refused attempt in the audit log and raise ``Refused``."""
    error = Refused(message, **params)
    record(action, target=target, plugin=PLUGIN, actor=actor, merchant_id=merchant_id,
           summary={"refused": str(error)})
    raise error


def is_platform(user):
    """Platform staff belong to no merchant."""
    return user.merchant_id is None


def is_platform_admin(user):
    """Holds the built-in platform admin role, and so everything."""
    return any(role.builtin == PLATFORM_ADMIN for role in user.roles)


def held(actor, resource):
    """The level the actor's roles grant on ``resource``: the most they may give."""
    return access.access(actor).functional.get(resource, NONE)


def role_levels(role):
    """``{resource: level}`` a role grants; the platform admin role grants everything."""
    if role.builtin == PLATFORM_ADMIN:
        return {name: MANAGE for name in access.registry().resources}
    return {grant.resource: grant.level for grant in role.grants}


def functional_excess(actor, levels):
    """The ``(resource, level)`` pairs of ``levels`` above what the actor holds."""
    return sorted((res, lv) for res, lv in levels.items() if lv > held(actor, res))


def holder_merchant(holder):
    """Whose merchant ``@own`` means for a user or role: a merchant id, None
    for platform holders, ``ANY_MERCHANT`` for roles every merchant shares."""
    if hasattr(holder, "email"):
        return holder.merchant_id
    if holder.kind == "platform":
        return None
    return holder.merchant_id if holder.merchant_id is not None else ANY_MERCHANT


def counts_for(scope, value, own):
    """False for a data grant that would give its holder nothing: ``@own`` to a
    platform holder, another merchant to merchant staff (``compute_access``
    ignores both)."""
    if value == OWN:
        return own is not None
    if scope == "merchant" and own is not None:
        return own is not ANY_MERCHANT and value == str(own)
    return True


def data_within(actor, scope, value, level, own):
    """True when the actor holds at least ``level`` on every scope value the
    grant would reach for a holder whose merchant is ``own``. The platform
    admin holds every value of every scope, declared later or not."""
    if is_platform_admin(actor):
        return True
    user_access = access.access(actor)
    if value == OWN:
        if own is None:
            return True
        value = ALL if own is ANY_MERCHANT else str(own)
    if value == ALL:
        return user_access.data.get(scope, {}).get(ALL, NONE) >= level
    return user_access.data_level(scope, value) >= level


def role_excess(actor, role, own):
    """What assigning ``role`` to a holder whose merchant is ``own`` would give
    beyond the actor: ``("resource", name, level)`` or ``("data", grant)``."""
    found = [("resource", res, lv) for res, lv in functional_excess(actor, role_levels(role))]
    for grant in role.data_grants:
        if counts_for(grant.scope, grant.value, own) and \
                not data_within(actor, grant.scope, grant.value, grant.level, own):
            found.append(("data", grant))
    return found


def check_role_assignable(actor, role, user_label, merchant_id):
    """Refuse (with an audit row) to give ``role`` to an account of
    ``merchant_id`` when it grants more than the actor holds."""
    excess = role_excess(actor, role, merchant_id)
    if not excess:
        return
    first = excess[0]
    if first[0] == "resource":
        refuse(actor, "user.role_refused", user_label, merchant_id,
               N_("You cannot give the role %(role)s: it grants %(level)s on %(resource)s and you hold "
                  "only %(held)s."), role=role.name, level=access.level_name(first[2]), resource=first[1],
               held=access.level_name(held(actor, first[1])))
    grant = first[1]
    refuse(actor, "user.role_refused", user_label, merchant_id,
           N_("You cannot give the role %(role)s: it grants %(level)s on %(scope)s %(value)s, more "
              "than you hold."), role=role.name, level=access.level_name(grant.level), scope=grant.scope,
           value=grant.value)


def user_excess(actor, target):
    """The first ``(resource, level)`` the target's roles grant above the actor, or None."""
    for role in target.roles:
        excess = functional_excess(actor, role_levels(role))
        if excess:
            return excess[0]
    return None


def check_may_manage_user(actor, target):
    """Refuse to change an account that holds more than the actor (resetting
    its password would hand the actor that access)."""
    excess = user_excess(actor, target)
    if excess:
        raise PermissionsError(
            N_("%(email)s holds more access than you (%(level)s on %(resource)s); only someone who "
               "holds that may change this account."),
            email=target.email, level=access.level_name(excess[1]), resource=excess[0])


def check_may_manage_role(actor, role):
    """Refuse to change a role that grants more than the actor holds: only
    someone who holds that may reshape it."""
    excess = functional_excess(actor, role_levels(role))
    if excess:
        raise PermissionsError(
            N_("The role %(role)s grants more than you hold (%(level)s on %(resource)s); only someone who "
               "holds that may change it."),
            role=role.name, level=access.level_name(excess[0][1]), resource=excess[0][0])


def managing_levels(roles, change=None):
    """The best level on each ``MANAGING`` resource across ``roles``;
    ``change=(role, resource, level)`` evaluates a grant edit before it is made."""
    best = dict.fromkeys(MANAGING, NONE)
    for role in roles:
        levels = role_levels(role)
        if change is not None and role is change[0]:
            levels = {**levels, change[1]: change[2]}
        for res in MANAGING:
            best[res] = max(best[res], levels.get(res, NONE))
    return best


def check_keeps_management(actor, roles_after, change=None):
    """Refuse a change that would take manage on users or roles away from the actor."""
    before = managing_levels(actor.roles)
    after = managing_levels(roles_after, change)
    lost = [res for res in MANAGING if before[res] >= MANAGE > after[res]]
    if lost:
        raise PermissionsError(
            N_("You cannot remove your own last role that manages %(resource)s; ask another "
               "administrator to do it."), resource=lost[0])
