"""The greeting page and the dashboard card."""
from flask import url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import escape

from portal import access, settings
from portal.views import PortalView, Widget


def greeting(user):
    """``"Hello, Ann!"`` with the word the user's merchant (or the platform) chose."""
    word = settings.get("hello.greeting_text", user.merchant_id)
    return _("%(greeting)s, %(name)s!", greeting=word, name=user.name or user.email)


class HelloView(PortalView):
    """``/hello/``: greets the signed-in user by name and store."""

    resource = "hello.greeting"
    level = "read"

    @expose("/")
    def index(self):
        user = current_user._get_current_object()
        return self.render("hello/index.html", greeting=greeting(user), merchant=user.merchant)


def greeting_widget(user):
    """A dashboard card for users who may see the greeting, else None."""
    if not access.has_level("hello.greeting", "read", user):
        return None
    return Widget(title=_("Hello"), html=str(escape(greeting(user))), url=url_for("hello.index"),
                  order=900, plugin="hello")
