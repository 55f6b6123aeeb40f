"""The append-only audit trail: who did what, when (UTC), from where."""
import json

from flask import has_request_context, request
from flask_login import current_user

from .extensions import db
from .models import AuditLog


def record(action, target="", summary="", plugin="core", merchant_id=None, actor=None):
    """Add an audit row to the current transaction (committed with the change
    it describes, so a rolled-back change leaves no row). ``summary`` may be a
    dict; it is stored as JSON."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    if isinstance(summary, (dict, list)):
        summary = json.dumps(summary, ensure_ascii=False, sort_keys=True, default=str)
    row = AuditLog(
        user_id=getattr(actor, "id", None),
        actor=getattr(actor, "email", None) or (actor if isinstance(actor, str) else "system"),
        ip=client_ip() if has_request_context() else "",
        plugin=plugin,
        action=action,
        target=str(target)[:200],
        merchant_id=merchant_id,
        summary=summary or "",
    )
    db.session.add(row)
    return row


def client_ip():
    """The caller's address. Behind a proxy, run with ProxyFix so this is the
    client's, not the proxy's."""
    return (request.remote_addr or "")[:64]
