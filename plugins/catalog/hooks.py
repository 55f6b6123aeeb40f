"""The catalog's hook implementations: each one delegates."""
from portal.hookspecs import hookimpl


@hookimpl
def portal_register_models():
    """The catalog's tables."""
    from .models import MODELS
    return MODELS


@hookimpl
def portal_register_permissions():
    """catalog.product, catalog.review, catalog.library with role defaults."""
    from .registry import RESOURCES
    return RESOURCES


@hookimpl
def portal_register_settings():
    """The platform setting catalog.review_required."""
    from .registry import SETTINGS
    return SETTINGS


@hookimpl
def portal_register_jobs():
    """The job that lists products at their scheduled time."""
    from .registry import JOBS
    return JOBS


@hookimpl
def portal_register_views(app):
    """Products, SKUs, images, review, categories and brands pages."""
    from .views import views
    return views()


@hookimpl
def portal_dashboard_widgets(user):
    """Products on the shelf and waiting for review, in the user's scope."""
    from .views.widgets import dashboard_widgets
    return dashboard_widgets(user)


@hookimpl
def portal_demo_data(merchants, echo):
    """A bilingual demo catalog for the demo merchants, pictures included."""
    from .demo import load_demo
    load_demo(merchants, echo)
