"""The hooks of the hello plugin: short functions that delegate."""
from portal.hookspecs import hookimpl

PERMISSION = "hello.greeting"


@hookimpl
def portal_register_permissions():
    from portal.access import Resource
    return [Resource(PERMISSION, "Greeting", "See the greeting page and its dashboard card.",
                     defaults={"platform_operator": "read", "merchant_admin": "read", "merchant_staff": "read"})]


@hookimpl
def portal_register_settings():
    from portal.settings import SettingSpec
    return [SettingSpec("hello.greeting_text", "Greeting", "str", "Hello",
                        "The word the greeting starts with; a merchant may choose its own.", per_merchant=True)]


@hookimpl
def portal_register_views():
    from .views import HelloView
    return [HelloView(name="Hello", endpoint="hello", url="/hello")]


@hookimpl
def portal_dashboard_widgets(user):
    from .views import greeting_widget
    widget = greeting_widget(user)
    return [widget] if widget is not None else []
