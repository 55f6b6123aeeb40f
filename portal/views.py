"""The Flask-Admin shell and the base classes every page uses.

Every page is a Flask-Admin view (one layout, one menu). ``PortalView`` and
``PortalModelView`` add the gate: 404 while the view's plugin is off for the
user (or the platform), the login page for anonymous users, 403 below the
view's level; menu entries are hidden on the same terms, per request.
"""
from dataclasses import dataclass

from flask import abort, current_app, g, make_response, redirect, request, url_for
from flask_admin import Admin, AdminIndexView, BaseView, expose
from flask_admin.contrib.sqla import ModelView
from flask_admin.theme import Bootstrap4Theme
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup

from . import access
from .extensions import db
from .i18n import N_
from .plugins import STATE_KEY, kernel, versions


@dataclass
class Widget:
    """A dashboard card a plugin returns from ``portal_dashboard_widgets``."""

    title: str
    html: str
    url: str = ""
    order: int = 100
    plugin: str = ""


class GateMixin:
    """Shared by every portal view: plugin state, sign-in, functional level."""

    plugin = "core"
    resource = None  # e.g. "catalog.product"; None: any signed-in user
    level = "read"
    visible_in_menu = True

    def plugin_enabled(self):
        merchant_id = current_user.merchant_id if current_user.is_authenticated else None
        return self.plugin == "core" or kernel().is_enabled(self.plugin, merchant_id)

    def is_accessible(self):
        if not current_user.is_authenticated:
            return False
        return self.resource is None or access.has_level(self.resource, self.level)

    def is_visible(self):
        return self.visible_in_menu and self.plugin_enabled()

    def _handle_view(self, name, /, **kwargs):
        # positional-only: a route argument may be called ``name`` too
        if not self.plugin_enabled():
            abort(404)
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()
        if not self.is_accessible():
            abort(403)
        return None

    def can(self, level, resource=None):
        """For templates: does the user hold ``level`` on the view's resource?"""
        return access.has_level(resource or self.resource, level)

    def render(self, template, **kwargs):
        """Full page, or only the partial when HTMX asks (the caller passes
        ``partial=``); the response varies on ``HX-Request`` either way."""
        partial = kwargs.pop("partial", None)
        if partial and request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted"):
            body = current_app.jinja_env.get_template(partial).render(admin_view=self, **self._partial_context(kwargs))
        else:
            body = super().render(template, **kwargs)
        response = make_response(body)
        response.vary.add("HX-Request")
        return response

    def _partial_context(self, kwargs):
        context = dict(kwargs)
        current_app.update_template_context(context)
        return context


class PortalView(GateMixin, BaseView):
    """A page of a plugin (or of the core)."""


class PortalModelView(GateMixin, ModelView):
    """A Flask-Admin CRUD view whose queries are limited to the user's data
    scope and whose actions follow the functional level."""

    form_base_class = FlaskForm
    page_size = 50
    can_set_page_size = True

    def __init__(self, model, **kwargs):
        super().__init__(model, db, **kwargs)

    @property
    def can_create(self):
        return access.has_level(self.resource, "write")

    @property
    def can_edit(self):
        return access.has_level(self.resource, "write")

    @property
    def can_delete(self):
        return access.has_level(self.resource, "manage")

    @property
    def can_export(self):
        return access.has_level(self.resource, "manage")

    def get_query(self):
        return access.scoped(super().get_query(), self.model, "read")

    def get_count_query(self):
        return access.scoped(super().get_count_query(), self.model, "read")

    def get_one(self, id):
        return access.get_or_404(self.model, self.model.__mapper__.primary_key[0].type.python_type(id),
                                 self.resource, "read")

    def on_model_change(self, form, model, is_created):
        scopes = {s: getattr(model, c.key) for s, c in access.scope_columns(self.model).items()}
        if access.access().record_level(self.resource, scopes) < access.WRITE:
            raise access.AccessDenied(_("You cannot save a record outside your data scope."))
        from .audit import record
        record(f"{self.endpoint}.{'create' if is_created else 'update'}", target=str(model),
               plugin=self.plugin, merchant_id=getattr(model, "merchant_id", None))

    def on_model_delete(self, model):
        if access.record_level(self.resource, model) < access.MANAGE:
            raise access.AccessDenied(_("You cannot delete this record."))
        from .audit import record
        record(f"{self.endpoint}.delete", target=str(model), plugin=self.plugin,
               merchant_id=getattr(model, "merchant_id", None))


class DashboardView(GateMixin, AdminIndexView):
    """The home page: the widgets every enabled plugin returns for the user."""

    @expose("/")
    def index(self):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        widgets = []
        for result in kernel().call("portal_dashboard_widgets", merchant_id=current_user.merchant_id,
                                    user=current_user._get_current_object()):
            widgets.extend(result)
        widgets.sort(key=lambda w: (w.order, w.title))
        return self.render("portal/dashboard.html", widgets=widgets)

    def _handle_view(self, name, /, **kwargs):
        return None  # anonymous users are sent to the login page by index()


class ShellView(GateMixin, BaseView):
    """Not a page: lends the layout to pages outside Flask-Admin views
    (sign-in, error pages, plugin blueprints) so every page looks the same."""

    visible_in_menu = False

    def is_accessible(self):
        return True

    def is_visible(self):
        return False

    @expose("/")
    def index(self):
        abort(404)


def render_page(template, **context):
    """Render a template inside the portal layout from any route."""
    shell = current_app.extensions["portal.admin"]._shell
    return shell.render(template, **context)


def init_app(app, kernel_):
    admin = Admin(
        app,
        name=N_("Marketplace Portal"),
        url="/",
        index_view=DashboardView(name=N_("Dashboard"), endpoint="dashboard", url="/"),
        theme=Bootstrap4Theme(base_template="portal/layout.html", fluid=True),
        csp_nonce_generator=lambda: g.get("csp_nonce", ""),
    )
    app.extensions["portal.admin"] = admin
    admin._shell = ShellView(name="Portal", endpoint="shell", url="/_shell")
    admin.add_view(admin._shell)

    from .pages import core_views, init_app as init_pages
    init_pages(app)
    for view in core_views():
        admin.add_view(view)
    for plugin, plugin_views in kernel_.call_all("portal_register_views", app=app):
        title = kernel_.meta(plugin).title
        for view in plugin_views:
            view.plugin = plugin
            if view.category is None:
                view.category = title
            _check_prefix(plugin, view.url)
            admin.add_view(view)
            kernel_.claim_blueprint(plugin, view.endpoint)
    for plugin, blueprints in kernel_.call_all("portal_register_blueprints", app=app):
        for bp in blueprints:
            _check_prefix(plugin, bp.url_prefix)
            app.register_blueprint(bp)
            kernel_.claim_blueprint(plugin, bp.name)

    app.before_request(_gate_plugin_blueprints)
    app.jinja_env.globals.update(slot=template_slot, portal_kernel=kernel, url_with=url_with, main_menu=main_menu)
    _register_error_pages(app)


def _check_prefix(plugin, url):
    from .plugins import PluginError
    if not url or not (url == f"/{plugin}" or url.startswith(f"/{plugin}/")):
        raise PluginError(f"plugin {plugin!r}: its pages must live under /{plugin}/, not {url!r}")


def _gate_plugin_blueprints():
    """404 for every route of a plugin that is off (Flask-Admin views check
    again in ``_handle_view``; blueprints rely on this)."""
    owner = kernel().owner_of_blueprint(request.blueprint) if request.blueprint else None
    if owner is None:
        return None
    merchant_id = current_user.merchant_id if current_user.is_authenticated else None
    if not kernel().is_enabled(owner, merchant_id):
        abort(404)
    return None


def url_with(**changes):
    """This page's URL with some query arguments changed (paging, sorting)."""
    args = request.args.to_dict()
    args.update({k: v for k, v in changes.items() if v is not None})
    return url_for(request.endpoint, **{**(request.view_args or {}), **args})


MENU_CACHE_SIZE = 4096


def main_menu(admin_view):
    """The main menu's HTML for the signed-in user.

    Rendering it asks every view's gate (plugin state, functional level), a
    good part of a list page's time, and its answer only changes when the
    plugin state or somebody's access changes, both of which bump a counter.
    So it is kept per process for a user, the view it marks active and the
    language, under those counters; a full cache is emptied, not grown."""
    from flask_babel import get_locale
    counters = versions()
    key = (current_user.id, counters.get(STATE_KEY, 0), counters.get(access.ACCESS_KEY, 0), str(get_locale()),
           getattr(admin_view, "endpoint", None))
    cache = current_app.extensions.setdefault("portal.menu_cache", {})
    html = cache.get(key)
    if html is None:
        macros = current_app.jinja_env.get_template("portal/menu.html").module
        html = Markup(macros.menu(admin_view.admin.menu(), admin_view))
        if len(cache) >= MENU_CACHE_SIZE:
            cache.clear()
        cache[key] = html
    return html


def template_slot(name, **context):
    """``{{ slot("user_menu", record=...) }}``: what enabled plugins insert there."""
    merchant_id = current_user.merchant_id if current_user.is_authenticated else None
    parts = kernel().call("portal_template_slot", merchant_id=merchant_id, slot=name, context=context)
    return Markup("").join(Markup(p) for p in parts)


def _register_error_pages(app):
    def handler(code):
        def handle(error):
            if request.path.startswith(("/api/", "/healthz")) or request.accept_mimetypes.best == "application/json" \
                    or "/api/" in request.path:
                return {"error": getattr(error, "description", "error"), "status": code}, code
            try:
                return render_page(f"errors/{code}.html", error=error), code
            except Exception:  # the layout itself failed: fall back to plain text
                app.logger.exception("error page failed")
                return f"{code}", code
        return handle

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, handler(code))

    @app.errorhandler(access.AccessDenied)
    def _denied(error):
        if request.headers.get("HX-Request"):
            return str(error), 403
        return render_page("errors/403.html", error=error, message=str(error)), 403
