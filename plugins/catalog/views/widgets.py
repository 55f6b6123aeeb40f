"""The dashboard card: products on the shelf and waiting for review, within
the user's scope."""
from flask import render_template, url_for
from flask_babel import gettext as _
from portal import access
from portal.views import Widget

from ..services import queries


def dashboard_widgets(user):
    """One card for users who may read products; nothing for the others."""
    if not access.has_level("catalog.product", "read", user=user):
        return []
    counts = queries.dashboard_counts(user)
    html = render_template("catalog/_widget.html", counts=counts,
                           can_review=user.merchant_id is None and access.has_level("catalog.review", "read",
                                                                                    user=user))
    return [Widget(title=_("Catalog"), html=html, url=url_for("catalog_products.index"), order=20,
                   plugin="catalog")]
