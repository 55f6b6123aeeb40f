"""API tokens for sales channels and integrations.

A token belongs to the platform or to one merchant and carries its own
permissions (``{resource: level}``), never more than its creator held. The
plain token (``ptk_<prefix>_<secret>``) is shown once, at creation; the
database keeps the prefix (to recognise a token in lists) and the SHA-256 of
the secret. JSON routes of plugins guard themselves with ``token_required``.

Behind ``token_required`` the token is the acting identity (``TokenActor``):
a route hands ``g.api_actor`` to services as their ``actor``, access checks
read the token's own permissions and owner, and audit rows name the token.
"""
import hashlib
import json
import re
import secrets
from datetime import timedelta
from functools import wraps

from flask import abort, g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import false, or_, select, update

from . import access
from .audit import record
from .extensions import csrf, db
from .models import ApiToken, Merchant, utcnow

SCHEME = "ptk"
TOKEN_TEXT = re.compile(r"^ptk_([0-9a-f]{8})_([A-Za-z0-9_-]{20,100})$")
# last_used_at is written at most this often, so a busy integration does not
# turn every API read into a write
TOUCH_EVERY = timedelta(seconds=60)


class TokenActor:
    """A channel token acting through the API, passed to services as their
    ``actor`` like a signed-in user. Its functional levels are the token's
    permissions; its data reach is its merchant (every merchant for a platform
    token). It is not a user: ``id`` is None, so no user is credited with the
    records it makes, and ``audit_name`` names the token in the audit trail."""

    is_authenticated = True
    is_active = True
    id = None
    email = None

    def __init__(self, token):
        self.token = token
        self.token_id = token.id
        self.merchant_id = token.merchant_id
        self.audit_name = f"api token {SCHEME}_{token.prefix} ({token.name})"[:120]
        # ``access.access`` caches per identity; a token is never confused with a user
        self.access_key = ("api_token", token.id)

    @property
    def is_platform(self):
        return self.merchant_id is None

    def portal_grants(self):
        """``(functional, data)`` for ``access.compute_access``: the token's
        levels, and its owner as the only merchant it reaches. Other scopes
        (warehouses) are open: the merchant fence and the merchant scope keep
        a merchant's token to its own records."""
        functional = permissions_of(self.token)
        merchant = access.ALL if self.merchant_id is None else str(self.merchant_id)
        data = {name: {access.ALL: access.MANAGE} for name in access.registry().scopes}
        data["merchant"] = {merchant: access.MANAGE}
        return functional, data

    def __repr__(self):
        return f"<TokenActor {self.audit_name}>"


def current_actor():
    """The token acting in this API request (``token_required`` set it), or None."""
    return g.get("api_actor")


class TokenError(ValueError):
    """A token cannot be created as asked; the message names the field."""


def hash_secret(secret):
    """The stored form of a token's secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def permissions_of(token):
    """``{resource: level int}`` the token carries."""
    return {resource: access.level_value(level) for resource, level in json.loads(token.permissions or "{}").items()}


def creatable_levels(merchant_id, user=None):
    """``{resource: highest level}`` the user may put in a token for the
    platform (``merchant_id`` None) or that merchant: the lower of the user's
    functional level and data level, as for a record of that owner."""
    user_access = access.access(user)
    result = {}
    for name in access.registry().resources:
        level = user_access.record_level(name, {"merchant": merchant_id})
        if level > access.NONE:
            result[name] = level
    return result


def _clean_permissions(requested, allowed):
    permissions = {}
    for resource, raw in requested.items():
        if resource not in access.registry().resources:
            raise TokenError(_("Permissions: %(resource)s is not a known resource.", resource=resource))
        try:
            level = access.level_value(raw)
        except ValueError as exc:
            raise TokenError(_("Permissions: %(resource)s: %(problem)s.", resource=resource, problem=exc)) from None
        if level == access.NONE:
            continue
        if level > allowed.get(resource, access.NONE):
            raise TokenError(_("Permissions: you cannot give a token %(level)s access to %(resource)s; "
                               "that is more than you hold.", level=_(access.level_name(level)), resource=resource))
        permissions[resource] = access.level_name(level)
    if not permissions:
        raise TokenError(_("Permissions: choose at least one permission for the token."))
    return permissions


def create_token(name, permissions, merchant_id, actor):
    """Create a token; returns ``(ApiToken, plain_text)``. The plain text is
    not stored anywhere: show it to the user now. Raises ``TokenError`` or
    ``access.AccessDenied``. Audited; the caller commits."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise TokenError(_("Name: between 1 and 100 characters, to tell the token apart (e.g. 'Shop sync')."))
    user_access = access.access(actor)
    if user_access.record_level("core.api_token", {"merchant": merchant_id}) < access.MANAGE:
        raise access.AccessDenied(_("You may not create API tokens for this owner."))
    merchant = db.session.get(Merchant, merchant_id) if merchant_id is not None else None
    if merchant_id is not None and merchant is None:
        raise TokenError(_("Owner: there is no such merchant."))
    clean = _clean_permissions(permissions, creatable_levels(merchant_id, actor))
    prefix, secret = secrets.token_hex(4), secrets.token_urlsafe(32)
    token = ApiToken(name=name, merchant_id=merchant_id, prefix=prefix, token_hash=hash_secret(secret),
                     permissions=json.dumps(clean, sort_keys=True), created_by_id=getattr(actor, "id", None))
    db.session.add(token)
    db.session.flush()
    record("api_token.create", target=f"{SCHEME}_{prefix} {name}", actor=actor, merchant_id=merchant_id,
           summary={"permissions": clean, "owner": merchant.code if merchant else "platform"})
    return token, f"{SCHEME}_{prefix}_{secret}"


def revoke_token(token, actor):
    """Revoke a token at once; audited. Revoking twice changes nothing."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    record("api_token.revoke", target=f"{SCHEME}_{token.prefix} {token.name}", actor=actor,
           merchant_id=token.merchant_id)
    return True


def tokens_query(user=None):
    """Tokens the user may see: a merchant's staff see their merchant's only;
    platform tokens only to staff who reach every merchant."""
    return access.scoped(select(ApiToken), ApiToken, "read", user).order_by(
        ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc())


# -- authenticating API requests ---------------------------------------------------

def _check(header_value):
    """``(token, None)`` or ``(None, reason)``."""
    scheme, _, value = (header_value or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None, "Missing API token: send the header 'Authorization: Bearer <token>'."
    match = TOKEN_TEXT.match(value.strip())
    if not match:
        return None, "Invalid API token."
    prefix, secret = match.groups()
    token = db.session.execute(select(ApiToken).where(ApiToken.token_hash == hash_secret(secret))
                               ).scalar_one_or_none()
    if token is None or not secrets.compare_digest(token.prefix, prefix):
        return None, "Invalid API token."
    if token.revoked_at is not None:
        return None, "This API token has been revoked."
    return token, None


def authenticate_token(header_value):
    """The ``ApiToken`` an ``Authorization`` header value carries, or None when
    it is missing, malformed, unknown or revoked."""
    return _check(header_value)[0]


def _touch(token):
    now = utcnow()
    if token.last_used_at is not None and now - token.last_used_at < TOUCH_EVERY:
        return
    # conditional, so concurrent requests write it once
    db.session.execute(update(ApiToken).where(
        ApiToken.id == token.id,
        or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - TOUCH_EVERY)
    ).values(last_used_at=now).execution_options(synchronize_session=False))
    db.session.commit()


def _json_error(message, status):
    response = jsonify(error=message, status=status)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="portal"'
    return response


def token_required(resource, level="read"):
    """Decorator for JSON API routes: 401 without a valid token, 403 when the
    token lacks ``level`` on ``resource`` (or its merchant is suspended), 404
    while the resource's plugin is off for the token's owner. Sets
    ``g.api_token``, ``g.api_merchant_id`` (None for a platform token) and
    ``g.api_actor``, the ``TokenActor`` to hand to services.
    Routes are exempt from CSRF: a browser never sends the header by itself."""
    needed = access.level_value(level)
    plugin = resource.split(".", 1)[0]

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            token, reason = _check(request.headers.get("Authorization"))
            if token is None:
                return _json_error(reason, 401)
            if token.merchant is not None and not token.merchant.is_active:
                return _json_error("The merchant of this API token is suspended.", 403)
            from .plugins import kernel
            if plugin != "core" and not kernel().is_enabled(plugin, token.merchant_id):
                return _json_error("Not found.", 404)
            if permissions_of(token).get(resource, access.NONE) < needed:
                return _json_error(f"This API token lacks {access.level_name(needed)} access to {resource}.", 403)
            g.api_token, g.api_merchant_id, g.api_actor = token, token.merchant_id, TokenActor(token)
            _touch(token)
            return view(*args, **kwargs)
        csrf.exempt(wrapped)
        return wrapped
    return decorator


def api_scoped(query, model):
    """Limit a select to the token's merchant (no limit for a platform token)."""
    merchant_id = g.api_merchant_id
    column = access.scope_columns(model).get("merchant")
    if merchant_id is None:
        return query
    if column is None:
        return query.where(false())
    return query.where(column == merchant_id)


def api_get_or_404(model, ident):
    """One record the token's merchant owns (any for a platform token); 404
    otherwise, as if it did not exist."""
    obj = db.session.get(model, ident)
    if obj is None:
        abort(404)
    column = access.scope_columns(model).get("merchant")
    if g.api_merchant_id is not None and (column is None or getattr(obj, column.key) != g.api_merchant_id):
        abort(404)
    return obj
