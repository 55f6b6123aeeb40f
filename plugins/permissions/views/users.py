"""/permissions/users: the staff list, new accounts, and one account's page
(name, merchant, roles, data grants, deactivate, password reset)."""
from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from sqlalchemy.orm import lazyload

from portal import access
from portal.access import READ
from portal.extensions import db
from portal.models import Role
from portal.paging import paginate
from portal.views import PortalView

from .. import forms
from ..services import PermissionsError, grants, roles, rules, users
from . import actor, change_data_grant, failed


class UsersView(PortalView):
    """/permissions/users: staff accounts the signed-in user may see."""

    resource = "permissions.user"

    @expose("/")
    def index(self):
        """The list: search, filters, sort and paging; HTMX gets only the rows."""
        me = actor()
        filters = forms.user_filters(request.args)
        page = paginate(users.users_query(me, **filters), request.args.get("page"))
        if request.headers.get("HX-Request") == "true":  # the rows only: no filter choices to load
            return self.render("permissions/_user_rows.html", page=page, f=filters,
                               partial="permissions/_user_rows.html")
        role_query = roles.roles_query(me, READ).options(lazyload(Role.grants), lazyload(Role.data_grants))
        return self.render("permissions/users.html", page=page, f=filters,
                           roles=db.session.execute(role_query.order_by(Role.name)).scalars().all(),
                           merchants=users.visible_merchants(me, READ))

    @expose("/new", methods=["GET", "POST"])
    def create(self):
        """A new account with roles and an initial password."""
        me = actor()
        access.require(self.resource, "write", me)
        form = request.form
        if request.method == "POST":
            try:
                user = users.create_user(me, form.get("email"), form.get("name"),
                                         forms.merchant_choice(form.get("merchant")),
                                         forms.int_list(form.getlist("roles")), form.get("password") or "")
            except PermissionsError as exc:
                failed(exc)
            else:
                db.session.commit()
                flash(_("Account %(email)s created.", email=user.email), "success")
                return redirect(url_for(".detail", user_id=user.id))
        merchants = users.visible_merchants(me)
        return self.render("permissions/user_new.html", form=form, role_choices=self._role_choices(me),
                           merchants=merchants, codes={m.id: m.code for m in merchants})

    @expose("/<int:user_id>", methods=["GET", "POST"])
    def detail(self, user_id):
        """One account; POST saves its name, roles and (platform staff) merchant."""
        me = actor()
        target = users.get_user(user_id, me, "read")
        if request.method == "POST":
            form = request.form
            try:
                merchant = forms.merchant_choice(form.get("merchant")) if "merchant" in form else users.KEEP
                users.update_user(me, user_id, form.get("name"), forms.int_list(form.getlist("roles")), merchant)
            except PermissionsError as exc:
                failed(exc)
            else:
                db.session.commit()
                flash(_("Saved."), "success")
            return redirect(url_for(".detail", user_id=user_id))
        return self._detail(me, target)

    def _detail(self, me, target):
        scopes = access.registry().scopes.values()
        merchants = users.visible_merchants(me)
        return self.render(
            "permissions/user_detail.html", user=target, me=me, role_choices=self._role_choices(me),
            merchants=merchants, codes={m.id: m.code for m in merchants},
            data_grants=grants.data_grants_of(target),
            scope_forms=[(scope, grants.grantable_values(me, target, scope)) for scope in scopes],
            above_me=rules.user_excess(me, target),
            can_write=access.record_level(self.resource, target, me) >= access.WRITE,
            can_manage=access.record_level(self.resource, target, me) >= access.MANAGE)

    def _role_choices(self, me):
        """Platform staff may move an account, so they see every role they
        reach; merchant staff see the roles that fit their merchant."""
        if me.merchant_id is None:
            query = roles.roles_query(me, READ).order_by(Role.kind, Role.merchant_id.is_not(None), Role.name)
            return db.session.execute(query).scalars().all()
        return roles.assignable_roles(me, me.merchant_id)

    @expose("/<int:user_id>/active", methods=["POST"])
    def active(self, user_id):
        """Deactivate (signing the account out everywhere) or reactivate."""
        active = request.form.get("active") == "1"
        try:
            target = users.set_active(actor(), user_id, active)
        except PermissionsError as exc:
            failed(exc)
        else:
            db.session.commit()
            flash(_("%(email)s can sign in again.", email=target.email) if active else
                  _("%(email)s is deactivated and signed out everywhere.", email=target.email), "success")
        return redirect(url_for(".detail", user_id=user_id))

    @expose("/<int:user_id>/password", methods=["POST"])
    def password(self, user_id):
        """Set a new password for the account and end its sessions."""
        try:
            target = users.reset_password(actor(), user_id, request.form.get("password") or "")
        except PermissionsError as exc:
            failed(exc)
        else:
            db.session.commit()
            flash(_("New password set for %(email)s; their sessions are ended.", email=target.email), "success")
        return redirect(url_for(".detail", user_id=user_id))

    @expose("/<int:user_id>/data", methods=["POST"])
    def add_data(self, user_id):
        """Grant the account a level on a data-scope value."""
        form = request.form
        return change_data_grant(
            lambda: grants.add_data_grant(actor(), form.get("scope"), form.get("value"), form.get("level"),
                                          user_id=user_id),
            _("Data grant saved."), url_for(".detail", user_id=user_id))

    @expose("/<int:user_id>/data/<int:grant_id>/remove", methods=["POST"])
    def remove_data(self, user_id, grant_id):
        """Take one of the account's data grants away."""
        return change_data_grant(lambda: grants.remove_data_grant(actor(), grant_id, user_id=user_id),
                                 _("Data grant removed."), url_for(".detail", user_id=user_id))

