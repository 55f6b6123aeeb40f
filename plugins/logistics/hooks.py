"""The logistics plugin's hook implementations: each one delegates."""
from portal.hookspecs import hookimpl


@hookimpl
def portal_register_models():
    """Carriers, freight templates and zones, order freight, tracking."""
    from .models import MODELS
    return MODELS


@hookimpl
def portal_register_permissions():
    """logistics.template, logistics.shipment, logistics.carrier with role defaults."""
    from .registry import RESOURCES
    return RESOURCES


@hookimpl
def portal_register_settings():
    """The webhook secret and the days before a shipment is late."""
    from .registry import SETTINGS
    return SETTINGS


@hookimpl
def portal_register_views():
    """Templates, calculator, shipments and carriers."""
    from .views import views
    return views()


@hookimpl
def portal_register_blueprints():
    """The carriers' tracking webhook."""
    from .api import bp
    return [bp]


@hookimpl
def orders_price_draft(draft):
    """Freight per group of lines, or the order refused for a region the merchant does not deliver to."""
    from .services.charging import price_draft
    return price_draft(draft)


@hookimpl
def portal_on_event(event):
    """Keep the freight breakdown of a placed order; check and track a shipped shipment."""
    from .handlers import on_event
    on_event(event)


@hookimpl
def portal_template_slot(slot, context):
    """The freight breakdown and tracking on the order's page."""
    from .slots import template_slot
    return template_slot(slot, context)


@hookimpl
def portal_demo_data(merchants, echo):
    """Carriers, a template per demo merchant and for two categories, tracking for demo shipments."""
    from .demo import load_demo
    load_demo(merchants, echo)
