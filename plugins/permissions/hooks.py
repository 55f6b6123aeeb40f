from portal.hookspecs import hookimpl


@hookimpl
def portal_register_permissions():
    from .services import RESOURCES
    return RESOURCES


@hookimpl
def portal_register_views(app):
    from .views import views
    return views()
