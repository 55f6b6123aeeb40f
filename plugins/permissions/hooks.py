"""The permissions plugin's hooks: each only hands over to services or views."""
from portal.hookspecs import hookimpl


@hookimpl
def portal_register_permissions():
    """Users, roles and the audit log are guarded resources."""
    from .services import RESOURCES
    return RESOURCES


@hookimpl
def portal_register_views(app):
    """The Users, Roles and Audit log pages."""
    from .views import views
    return views()
