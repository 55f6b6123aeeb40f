"""/permissions/roles: the roles list, new roles, and one role's page (name,
grant matrix, data grants, delete)."""
from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _

from portal import access
from portal.access import MANAGE, WRITE
from portal.extensions import db
from portal.views import PortalView

from .. import forms
from ..services import PermissionsError, grants, roles, rules, users
from . import actor, change_data_grant, failed


class RolesView(PortalView):
    """/permissions/roles: roles, their grant matrix and data grants."""

    resource = "permissions.role"

    @expose("/")
    def index(self):
        """Every role the user sees, with how many accounts hold it."""
        me = actor()
        return self.render("permissions/roles.html", rows=roles.list_roles(me),
                           can_create=access.has_level(self.resource, WRITE, me))

    @expose("/new", methods=["GET", "POST"])
    def create(self):
        """A new role (merchant staff: a merchant role of their own merchant)."""
        me = actor()
        access.require(self.resource, WRITE, me)
        form = request.form
        if request.method == "POST":
            try:
                merchant_id = forms.merchant_choice(form.get("merchant")) if me.merchant_id is None else None
                role = roles.create_role(me, form.get("name"), form.get("kind") or "merchant",
                                         form.get("description"), merchant_id)
            except PermissionsError as exc:
                failed(exc)
            else:
                db.session.commit()
                flash(_("Role %(name)s created; now choose what it grants.", name=role.name), "success")
                return redirect(url_for(".detail", role_id=role.id))
        return self.render("permissions/role_new.html", form=form, merchants=users.visible_merchants(me))

    @expose("/<int:role_id>", methods=["GET", "POST"])
    def detail(self, role_id):
        """One role: name, grant matrix, data grants; POST renames it."""
        me = actor()
        role = roles.get_role(role_id, me, "read")
        if request.method == "POST":
            try:
                roles.update_role(me, role_id, request.form.get("name"), request.form.get("description"))
            except PermissionsError as exc:
                failed(exc)
            else:
                db.session.commit()
                flash(_("Saved."), "success")
            return redirect(url_for(".detail", role_id=role_id))
        return self.render(
            "permissions/role_detail.html", role=role, holders=roles.holder_count(role),
            above_me=rules.functional_excess(me, rules.role_levels(role))[:1],
            can_write=self._reaches(role, me, WRITE), can_manage=self._reaches(role, me, MANAGE),
            matrix=grants.grant_matrix(role, me), data_grants=grants.data_grants_of(role),
            scope_forms=[(scope, grants.grantable_values(me, role, scope))
                         for scope in access.registry().scopes.values()])

    @staticmethod
    def _reaches(role, me, level):
        """Whether the page offers changes; the services decide again on save."""
        if role.merchant_id is None and role.kind == "merchant" and not rules.is_platform(me):
            return False
        if rules.functional_excess(me, rules.role_levels(role)):
            return False
        return access.record_level("permissions.role", role, me) >= level

    @expose("/<int:role_id>/grant", methods=["POST"])
    def grant(self, role_id):
        """One matrix cell: set the role's level on a resource; HTMX gets the row back."""
        me = actor()
        resource = request.form.get("resource") or ""
        error = None
        try:
            grants.set_grant(me, role_id, resource, request.form.get("level"))
        except PermissionsError as exc:
            error = failed(exc, flash_it=request.headers.get("HX-Request") != "true")
        else:
            db.session.commit()
        if request.headers.get("HX-Request") != "true":
            if not error:
                flash(_("Saved."), "success")
            return redirect(url_for(".detail", role_id=role_id) + "#grants")
        role = roles.get_role(role_id, me, "read")
        res = access.registry().resources.get(resource)
        if res is None:
            return _("There is no permission named %(name)s.", name=resource), 404
        # HTMX swaps only 2xx answers: a refusal is a 200 that shows the reason in the row
        return self.render("permissions/_grant_row.html", partial="permissions/_grant_row.html", role=role,
                           row=grants.matrix_row(res, rules.role_levels(role), me), editable=True, error=error)

    @expose("/<int:role_id>/delete", methods=["POST"])
    def delete(self, role_id):
        """Delete a role nobody holds (never a built-in one)."""
        try:
            name = roles.get_role(role_id, actor(), "read").name
            roles.delete_role(actor(), role_id)
        except PermissionsError as exc:
            failed(exc)
            return redirect(url_for(".detail", role_id=role_id))
        db.session.commit()
        flash(_("Role %(name)s deleted.", name=name), "success")
        return redirect(url_for(".index"))

    @expose("/<int:role_id>/data", methods=["POST"])
    def add_data(self, role_id):
        """Grant the role a level on a data-scope value."""
        form = request.form
        return change_data_grant(
            lambda: grants.add_data_grant(actor(), form.get("scope"), form.get("value"), form.get("level"),
                                          role_id=role_id),
            _("Data grant saved."), url_for(".detail", role_id=role_id))

    @expose("/<int:role_id>/data/<int:grant_id>/remove", methods=["POST"])
    def remove_data(self, role_id, grant_id):
        """Take one of the role's data grants away."""
        return change_data_grant(lambda: grants.remove_data_grant(actor(), grant_id, role_id=role_id),
                                 _("Data grant removed."), url_for(".detail", role_id=role_id))

