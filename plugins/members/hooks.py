"""The members plugin's hook implementations: each one delegates."""
from portal.hookspecs import hookimpl


@hookimpl
def portal_register_models():
    """The members' tables."""
    from .models import MODELS
    return MODELS


@hookimpl
def portal_register_permissions():
    """members.member, members.points, members.segment with role defaults."""
    from .registry import RESOURCES
    return RESOURCES


@hookimpl
def portal_register_settings():
    """Points per store, the earning and spending rates, the largest share paid with points."""
    from .registry import SETTINGS
    return SETTINGS


@hookimpl
def portal_register_jobs():
    """Points expiry, the yearly level review, the RFM recompute."""
    from .registry import JOBS
    return JOBS


@hookimpl
def portal_on_event(event):
    """Placed, completed, cancelled and refunded orders update their member."""
    from .services.linking import on_event
    on_event(event)


@hookimpl
def orders_price_draft(draft):
    """The member's level discount and the points the buyer spends."""
    from .services.pricing import price_draft
    return price_draft(draft)


@hookimpl(optionalhook=True)
def logistics_freight_waiver(channel, customer_ref):
    """The member's level ships free (optional: logistics may not be installed)."""
    from .services.pricing import free_shipping_reason
    return free_shipping_reason(channel, customer_ref)


@hookimpl
def portal_template_slot(slot, context):
    """The member on an order's page; the points field of the staff order form."""
    from .slots import template_slot
    return template_slot(slot, context)


@hookimpl
def portal_register_views():
    """Members, levels and segments pages."""
    from .views import views
    return views()


@hookimpl
def portal_demo_data(merchants, echo):
    """Members across levels and RFM groups, linked to the demo orders."""
    from .demo import load_demo
    load_demo(merchants, echo)
