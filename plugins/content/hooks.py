"""The content plugin's hook implementations: each one delegates."""
from portal.hookspecs import hookimpl


@hookimpl
def portal_register_models():
    """The content tables."""
    from .models import MODELS
    return MODELS


@hookimpl
def portal_register_permissions():
    """content.page and content.publish with role defaults."""
    from .registry import RESOURCES
    return RESOURCES


@hookimpl
def portal_register_views():
    """Pages, the layout editor, preview, versions, clicks and the campaign schedule."""
    from .views import views
    return views()


@hookimpl
def portal_register_blueprints():
    """The storefront API and the editor's script."""
    from .api import assets, bp
    return [bp, assets]


@hookimpl
def portal_on_event(event):
    """A product on or off the shelf changes what the storefront shows at once."""
    from .events import on_event
    on_event(event)


@hookimpl
def portal_demo_data(merchants, echo):
    """A platform homepage with six floors, a homepage per demo merchant, two campaign pages."""
    from .demo import load_demo
    load_demo(merchants, echo)
