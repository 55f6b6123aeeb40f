"""The layout work on a page's floors, all through HTMX: add, reorder (drag
and drop, or one place up or down), duplicate, hide, edit in place, delete,
and each floor's entries (added, edited in place, moved, removed, their link
targets picked by name). Every action answers with the floor list again (or
redirects back to the editor for a plain form post)."""
from flask import abort, redirect, render_template, request, url_for
from flask_admin import expose
from flask_login import current_user
from portal import access
from portal.extensions import db
from portal.views import PortalView

from .. import forms
from ..models import Floor, Page, Slot
from ..services import PAGE, floors
from . import actor, attempt
from .pages import editor_context

FLOOR_FIELDS = ("title", "rule", "rule_category_id", "item_limit", "body_html")
SLOT_FIELDS = ("title", "link_type", "link_id", "url")


def _htmx():
    return request.headers.get("HX-Request") == "true"


class FloorsView(PortalView):
    resource = PAGE
    visible_in_menu = False

    def _answer(self, page, error=None, editing=None, editing_slot=None):
        """The floor list for HTMX, else back to the editor (the error flashed)."""
        if not _htmx():
            return redirect(url_for("content_pages.edit", page_id=page.id) + "#floors")
        db.session.refresh(page)
        return self.render("content/_floors.html", error=error, editing=editing, editing_slot=editing_slot,
                           partial="content/_floors.html", **editor_context(page))

    def _do(self, page, action, editing=None, editing_slot=None):
        _result, error = attempt(action, flash_error=not _htmx())
        return self._answer(page, error, editing if error else None, editing_slot if error else None)

    @expose("/")
    def index(self):
        """Floors are reached from their page."""
        abort(404)

    @expose("/page/<int:page_id>", methods=["GET", "POST"])
    def page_floors(self, page_id):
        """GET: the floor list; POST: add a floor of the chosen type at the end."""
        level = "write" if request.method == "POST" else "read"
        page = access.get_or_404(Page, page_id, PAGE, level)
        if request.method == "GET":
            return self._answer(page)
        return self._do(page, lambda: floors.add_floor(actor(), page, request.form.get("kind"),
                                                       request.form.get("title")))

    @expose("/page/<int:page_id>/order", methods=["POST"])
    def order(self, page_id):
        """Save the order the floors were dragged into (``order``: ids, comma separated)."""
        page = access.get_or_404(Page, page_id, PAGE, "write")
        ids = [part for part in request.form.get("order", "").split(",") if part.strip()]
        return self._do(page, lambda: floors.reorder_floors(actor(), page, ids))

    def _floor(self, floor_id):
        return access.get_or_404(Floor, floor_id, PAGE, "write")

    @expose("/<int:floor_id>/move", methods=["POST"])
    def move(self, floor_id):
        """One place up (``step=-1``) or down."""
        floor = self._floor(floor_id)
        step = -1 if request.form.get("step") == "-1" else 1
        return self._do(floor.page, lambda: floors.move_floor(actor(), floor, step))

    @expose("/<int:floor_id>/duplicate", methods=["POST"])
    def duplicate(self, floor_id):
        """A copy right below."""
        floor = self._floor(floor_id)
        return self._do(floor.page, lambda: floors.duplicate_floor(actor(), floor))

    @expose("/<int:floor_id>/hidden", methods=["POST"])
    def hidden(self, floor_id):
        """Hide or show again."""
        floor = self._floor(floor_id)
        return self._do(floor.page, lambda: floors.set_hidden(actor(), floor, request.form.get("hidden") == "1"))

    @expose("/<int:floor_id>/delete", methods=["POST"])
    def delete(self, floor_id):
        """Remove the floor (the button asks first)."""
        floor = self._floor(floor_id)
        return self._do(floor.page, lambda: floors.delete_floor(actor(), floor))

    @expose("/<int:floor_id>/edit", methods=["GET", "POST"])
    def edit(self, floor_id):
        """GET: the floor's form in place of its card; POST: save it."""
        floor = access.get_or_404(Floor, floor_id, PAGE, "write")
        if request.method == "GET":
            return self._answer(floor.page, editing=floor.id)
        tz = current_user.timezone
        return self._do(floor.page, lambda: floors.update_floor(actor(), floor,
                                                                forms.fields(request.form, tz, FLOOR_FIELDS)),
                        editing=floor.id)

    @expose("/<int:floor_id>/slots", methods=["POST"])
    def add_slot(self, floor_id):
        """Add an entry (with its image, checked and stored)."""
        floor = self._floor(floor_id)
        tz = current_user.timezone
        return self._do(floor.page, lambda: floors.add_slot(actor(), floor,
                                                            forms.fields(request.form, tz, SLOT_FIELDS),
                                                            request.files.get("image")))

    def _slot(self, slot_id):
        return access.get_or_404(Slot, slot_id, PAGE, "write")

    @expose("/slots/<int:slot_id>/edit", methods=["GET", "POST"])
    def edit_slot(self, slot_id):
        """GET: the entry's form in place of its row; POST: save it (a new image
        replaces the old one, none keeps it). A refusal shows the form again."""
        slot = self._slot(slot_id)
        page = slot.floor.page
        if request.method == "GET":
            return self._answer(page, editing_slot=slot.id)
        tz = current_user.timezone
        return self._do(page, lambda: floors.update_slot(actor(), slot, forms.fields(request.form, tz, SLOT_FIELDS),
                                                         request.files.get("image")),
                        editing_slot=slot.id)

    @expose("/<int:floor_id>/targets")
    def targets(self, floor_id):
        """The choices of an entry's link target (``link_type``, and what was
        typed into ``link_id``), as the options of the form's suggestions."""
        floor = self._floor(floor_id)
        choices = floors.link_targets(floor.page, request.args.get("link_type", ""), request.args.get("link_id", ""))
        return render_template("content/_targets.html", choices=choices)

    @expose("/slots/<int:slot_id>/move", methods=["POST"])
    def move_slot(self, slot_id):
        """An entry one place up or down."""
        slot = self._slot(slot_id)
        step = -1 if request.form.get("step") == "-1" else 1
        return self._do(slot.floor.page, lambda: floors.move_slot(actor(), slot, step))

    @expose("/slots/<int:slot_id>/delete", methods=["POST"])
    def delete_slot(self, slot_id):
        """Remove an entry."""
        slot = self._slot(slot_id)
        page = slot.floor.page
        return self._do(page, lambda: floors.delete_slot(actor(), slot))
