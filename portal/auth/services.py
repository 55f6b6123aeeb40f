"""Accounts: create, authenticate, change password, deactivate. Plain Python:
callers pass the acting user and commit."""
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..audit import record
from ..extensions import db
from ..models import Merchant, Role, User, utcnow
from . import passwords, sessions


class AccountError(ValueError):
    """A user-facing problem with an account operation."""


def normalise_email(email):
    """The address trimmed and lower-cased; ``AccountError`` when it is not one."""
    email = (email or "").strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@") or len(email) > 254 or " " in email:
        raise AccountError(_("%(value)s is not an e-mail address.", value=email or _("An empty value")))
    return email


def find_by_email(email):
    """The user with this e-mail address (any case), or None."""
    return db.session.execute(select(User).where(func.lower(User.email) == email.strip().lower())).scalar_one_or_none()


def create_user(email, password, roles=(), merchant=None, name="", actor=None, locale="en"):
    """Create an account; raises ``AccountError`` or ``passwords.WeakPassword``."""
    email = normalise_email(email)
    if find_by_email(email) is not None:
        raise AccountError(_("A user with the e-mail %(email)s already exists.", email=email))
    passwords.check_policy(password, email)
    for role in roles:
        check_role_fits(role, merchant)
    user = User(email=email, name=name or email.split("@")[0], password_hash=passwords.hash_password(password),
                merchant=merchant, locale=locale)
    user.roles = list(roles)
    db.session.add(user)
    db.session.flush()
    record("user.create", target=email, plugin="permissions", actor=actor,
           merchant_id=merchant.id if merchant else None,
           summary={"roles": [r.name for r in roles], "merchant": merchant.code if merchant else None})
    return user


def check_role_fits(role, merchant):
    """Platform roles go to platform staff; merchant roles to merchant staff
    (and a merchant's own roles only to its own staff)."""
    if merchant is None and role.kind != "platform":
        raise AccountError(_("The role %(role)s is for merchant staff; choose a merchant.", role=role.name))
    if merchant is not None and role.kind != "merchant":
        raise AccountError(_("The role %(role)s is for platform staff, not for merchant staff.", role=role.name))
    if merchant is not None and role.merchant_id not in (None, merchant.id):
        raise AccountError(_("The role %(role)s belongs to another merchant.", role=role.name))


def authenticate(email, password):
    """Return the user when the e-mail and password match, else None. Takes
    the same time whether or not the account exists."""
    user = find_by_email(email or "")
    if user is None:
        passwords.burn_time(password or "")
        return None
    if not passwords.verify_password(user.password_hash, password or ""):
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def change_password(user, new_password, actor=None, keep_session=None):
    """Set a new password and end the user's sessions, all but ``keep_session``
    (a session id) when given."""
    passwords.check_policy(new_password, user.email)
    user.password_hash = passwords.hash_password(new_password)
    sessions.end_all(user, "password changed", keep=keep_session)
    record("user.password", target=user.email, plugin="permissions", actor=actor, merchant_id=user.merchant_id)


def set_active(user, active, actor=None):
    """Activate or deactivate an account; deactivating ends all its sessions at once."""
    user.active = active
    if not active:
        sessions.end_all(user, "deactivated")
    record("user.activate" if active else "user.deactivate", target=user.email, plugin="permissions",
           actor=actor, merchant_id=user.merchant_id)


def mark_login(user):
    """Remember when the user last signed in."""
    user.last_login_at = utcnow()


def role_by_name(name, merchant=None):
    """Find a role by its name or built-in key (``merchant_admin``)."""
    query = select(Role).where((Role.name == name) | (Role.builtin == name))
    roles = db.session.execute(query).scalars().all()
    for role in roles:
        if role.merchant_id in (None, getattr(merchant, "id", None)):
            return role
    raise AccountError(_("There is no role named '%(name)s'.", name=name))


def merchant_by_code(code):
    """The merchant with this code; ``AccountError`` naming the code when there is none."""
    merchant = db.session.execute(select(Merchant).where(Merchant.code == code)).scalar_one_or_none()
    if merchant is None:
        raise AccountError(_("There is no merchant with the code '%(code)s'.", code=code))
    return merchant
