"""The append-only audit trail: who did what, when (UTC), from where."""
import json

from flask import g, has_request_context, request
from flask_login import current_user

from .extensions import db
from .models import AuditLog


def record(action, target="", summary="", plugin="core", merchant_id=None, actor=None):
    """Add an audit row to the current transaction (committed with the change
    it describes, so a rolled-back change leaves no row). ``summary`` may be a
    dict; it is stored as JSON. Without an ``actor``: the signed-in user, else
    the API token of the request, else the system."""
    if actor is None and has_request_context():
        if current_user.is_authenticated:
            actor = current_user._get_current_object()
        else:
            actor = g.get("api_actor")
    if isinstance(summary, (dict, list)):
        summary = json.dumps(summary, ensure_ascii=False, sort_keys=True, default=str)
    row = AuditLog(
        user_id=getattr(actor, "id", None),
        actor=actor_name(actor),
        ip=client_ip() if has_request_context() else "",
        plugin=plugin,
        action=action,
        target=str(target)[:200],
        merchant_id=merchant_id,
        summary=summary or "",
    )
    db.session.add(row)
    return row


def actor_name(actor):
    """How the trail names an actor: a user's email, a token's ``audit_name``
    (``api token ptk_1a2b3c4d (Shop sync)``), a given text, or "system"."""
    if isinstance(actor, str):
        return actor
    return getattr(actor, "email", None) or getattr(actor, "audit_name", None) or "system"


def client_ip():
    """The caller's address. Behind a proxy, run with ProxyFix so this is the
    client's, not the proxy's."""
    return (request.remote_addr or "")[:64]
