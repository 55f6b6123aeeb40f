"""The dashboard card: SKUs at or below their low-stock threshold, within the
user's merchants."""
from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import select

from plugins.catalog.models import Sku
from portal import access
from portal.extensions import db
from portal.views import Widget

from .services.sales import low_stock

SHOWN = 10


def dashboard_widgets(user):
    """One card for users who may read stock; nothing for the others."""
    if not access.has_level("inventory.stock", "read", user=user):
        return []
    merchants = access.access(user).values_at("merchant", access.READ)
    if user.merchant_id is not None:
        merchants = {user.merchant_id} if merchants is None or str(user.merchant_id) in merchants else set()
    rows = low_stock(merchants, limit=SHOWN) if merchants != set() else []
    codes = dict(db.session.execute(select(Sku.id, Sku.code).where(Sku.id.in_([r[0] for r in rows]))).all())
    html = render_template("inventory/_widget.html", rows=[(codes.get(r[0], r[0]), r[1], r[2]) for r in rows])
    return [Widget(title=_("Low stock"), html=html, order=30, plugin="inventory")]

