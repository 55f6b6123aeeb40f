"""The inventory's hook implementations: each one delegates."""
from portal.hookspecs import hookimpl


@hookimpl
def portal_register_models():
    """The inventory's tables."""
    from .models import MODELS
    return MODELS


@hookimpl
def portal_register_permissions():
    """inventory.stock, inventory.adjust, inventory.warehouse with role defaults."""
    from .registry import RESOURCES
    return RESOURCES


@hookimpl
def portal_register_data_scopes():
    """The ``warehouse`` data scope."""
    from .registry import SCOPES
    return SCOPES


@hookimpl
def portal_register_settings():
    """inventory.lock_minutes."""
    from .registry import SETTINGS
    return SETTINGS


@hookimpl
def portal_register_jobs():
    """The job that releases expired reservations."""
    from .registry import JOBS
    return JOBS


@hookimpl
def portal_register_commands(group):
    """``flask portal inventory check``."""
    from .cli import inventory_group
    group.add_command(inventory_group)


@hookimpl
def portal_dashboard_widgets(user):
    """Low stock, in the user's merchants."""
    from .widgets import dashboard_widgets
    return dashboard_widgets(user)


@hookimpl
def portal_template_slot(slot, context):
    """Sellable, on hand and locked per SKU on the catalog's product page."""
    from .slots import template_slot
    return template_slot(slot, context)


@hookimpl
def portal_demo_data(merchants, echo):
    """Demo warehouses and stock for every demo SKU, some low, some locked."""
    from .demo import load_demo
    load_demo(merchants, echo)


@hookimpl
def portal_register_views():
    """The warehouses and stock pages."""
    from .views import views
    return views()
