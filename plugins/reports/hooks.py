"""The reports' hook implementations: each one delegates."""
from portal.hookspecs import hookimpl


@hookimpl
def portal_register_models():
    """The rollup tables."""
    from .models import MODELS
    return MODELS


@hookimpl
def portal_register_permissions():
    """reports.sales, reports.products, reports.logistics, reports.export."""
    from .registry import RESOURCES
    return RESOURCES


@hookimpl
def portal_register_jobs():
    """The daily rebuild of the rollups."""
    from .registry import JOBS
    return JOBS


@hookimpl
def portal_register_commands(group):
    """``flask portal reports rebuild``."""
    from .cli import reports_group
    group.add_command(reports_group)


@hookimpl
def portal_on_event(event):
    """Orders placed, paid, cancelled, refunded, shipped and received update the rollups."""
    from .services.rollup import on_event
    on_event(event)


@hookimpl
def portal_register_views():
    """The analyses."""
    from .views import views
    return views()


@hookimpl
def portal_dashboard_widgets(user):
    """The cockpit cards: sales today and this month, linked to the analyses."""
    from .widgets import dashboard_widgets
    return dashboard_widgets(user)


@hookimpl
def portal_demo_data(merchants, echo):
    """The rollups built from the demo orders (loaded before, by dependency order)."""
    from .demo import load_demo
    load_demo(echo)


@hookimpl
def portal_register_blueprints():
    """The script that draws the charts."""
    from .views.assets import bp
    return [bp]
