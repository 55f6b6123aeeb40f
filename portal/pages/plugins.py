"""The Plugins page: every installed plugin, its dependencies, and switches for
the platform or (for a merchant admin) for the merchant's own store."""
from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user

from .. import access
from ..audit import record
from ..extensions import db
from ..models import Merchant
from ..plugins import ToggleRefused, kernel
from ..views import PortalView


def plugin_rows(merchant_id):
    k = kernel()
    off_platform = k.disabled(None)
    off_here = k.disabled(merchant_id) if merchant_id is not None else off_platform
    rows = []
    for plugin in k.plugins.values():
        meta = plugin.meta
        rows.append({
            "meta": meta,
            "enabled": meta.name not in off_here,
            "platform_enabled": meta.name not in off_platform,
            "required_by": [_(k.meta(d).title) for d in k.dependents(meta.name)],
            "requires": [_(k.meta(r).title) for r in meta.requires],
            "optional": [_(k.meta(o).title) for o in meta.optional if o in k.plugins],
            "togglable": merchant_id is None or meta.merchant_toggle,
        })
    return rows


def toggle(name, enabled, merchant_id, actor):
    """Switch a plugin and audit it; raises ``ToggleRefused``."""
    k = kernel()
    try:
        k.set_enabled(name, enabled, merchant_id)
    except ToggleRefused as exc:
        db.session.rollback()
        record("plugin.toggle_refused", target=name, actor=actor, merchant_id=merchant_id,
               summary={"enabled": enabled, "reason": str(exc)})
        db.session.commit()
        raise
    record("plugin.enable" if enabled else "plugin.disable", target=name, actor=actor,
           merchant_id=merchant_id, summary={"scope": "platform" if merchant_id is None else "merchant"})
    db.session.commit()


class PluginsView(PortalView):
    resource = "core.plugins"

    def _merchant_id(self):
        """Platform staff switch for the platform (or, with ?merchant=ID, for a
        merchant); merchant staff only for their own store."""
        if not current_user.is_platform:
            return current_user.merchant_id
        raw = request.values.get("merchant")
        if not raw:
            return None
        merchant = access.get_or_404(Merchant, int(raw) if raw.isdigit() else -1, "core.merchant", "read")
        return merchant.id

    @expose("/")
    def index(self):
        merchant_id = self._merchant_id()
        merchants = []
        if current_user.is_platform:
            merchants = db.session.execute(
                access.scoped(db.select(Merchant).order_by(Merchant.code), Merchant)).scalars().all()
        return self.render("portal/plugins.html", rows=plugin_rows(merchant_id), merchant_id=merchant_id,
                           merchants=merchants, can_manage=self._can_manage(merchant_id))

    def _can_manage(self, merchant_id):
        if not access.has_level("core.plugins", "manage"):
            return False
        return merchant_id is None and current_user.is_platform or \
            merchant_id is not None and access.access().data_level("merchant", merchant_id) >= access.MANAGE

    @expose("/<name>/toggle", methods=["POST"])
    def toggle(self, name):
        merchant_id = self._merchant_id()
        if not self._can_manage(merchant_id):
            return self.render_status(_("You may not switch plugins here."), 403)
        if name not in kernel().plugins:
            return self.render_status(_("There is no plugin named %(name)s.", name=name), 404)
        enabled = request.form.get("enabled") == "1"
        error = None
        try:
            toggle(name, enabled, merchant_id, current_user._get_current_object())
        except ToggleRefused as exc:
            error = str(exc)
        if not request.headers.get("HX-Request"):
            title = _(kernel().meta(name).title)
            flash(error or (_("%(title)s enabled.", title=title) if enabled else _("%(title)s disabled.", title=title)),
                  "error" if error else "success")
            return redirect(url_for(".index", merchant=merchant_id or None))
        # HTMX swaps only 2xx answers: a refusal is a 200 that shows the reason
        response = self.render("portal/plugins.html", rows=plugin_rows(merchant_id), merchant_id=merchant_id,
                               merchants=[], can_manage=True, error=error, partial="portal/_plugin_table.html")
        if not error:
            # the menu changed too: reload the whole page so it shows
            response.headers["HX-Refresh"] = "true"
        return response

    def render_status(self, message, status):
        response = self.render("errors/message.html", message=message)
        response.status_code = status
        return response
