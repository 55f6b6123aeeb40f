"""The cockpit cards' refresh: one card's body, for HTMX, checked like a page
(the card's own permission) and varying on ``HX-Request``."""
from flask import abort, make_response
from flask_admin import expose
from flask_login import current_user

from portal import access
from portal.views import PortalView

from ..widgets import CARDS, card_body


class CockpitView(PortalView):
    visible_in_menu = False

    @expose("/<name>")
    def card(self, name):
        if name not in CARDS:
            abort(404)
        access.require(CARDS[name][0], "read")
        response = make_response(card_body(name, current_user._get_current_object()))
        response.vary.add("HX-Request")
        return response

    @expose("/")
    def index(self):
        abort(404)
