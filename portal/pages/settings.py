"""The Settings page: every declared setting grouped by module, with its
default, the platform's value and, for one merchant, that merchant's override.
Platform staff edit platform values; a merchant's admins edit the per-merchant
settings of their own store. Each row saves and resets on its own (HTMX)."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user

from .. import access, settings
from ..extensions import db
from ..models import Merchant
from ..plugins import kernel
from ..views import PortalView


def _group_title(plugin):
    return _("Core") if plugin == "core" else kernel().meta(plugin).title


class SettingsView(PortalView):
    resource = "core.settings"

    def _merchant(self):
        """Merchant staff see their own store; platform staff choose one with
        ``?merchant=ID`` (404 for a merchant outside their data scope)."""
        if not current_user.is_platform:
            return current_user.merchant
        raw = (request.values.get("merchant") or "").strip()
        if not raw:
            return None
        merchant = db.session.get(Merchant, int(raw)) if raw.isdigit() else None
        if merchant is None or access.access().data_level("merchant", merchant.id) < access.READ:
            abort(404)
        return merchant

    def _rows(self, merchant, only_key=None):
        merchant_id = merchant.id if merchant else None
        off = kernel().disabled(merchant_id)
        groups = []
        for plugin, rows in settings.describe(merchant_id).items():
            if plugin in off and not current_user.is_platform:
                continue  # a module the store switched off: its settings do not apply
            items = [{"row": row, "id": "setting-" + row.spec.key.replace(".", "-"),
                      "can_platform": settings.may_edit(row.spec, None),
                      "can_override": merchant is not None and settings.may_edit(row.spec, merchant_id)}
                     for row in rows if only_key is None or row.spec.key == only_key]
            if items:
                groups.append({"plugin": plugin, "title": _group_title(plugin), "off": plugin in off,
                               "items": items})
        return groups

    @expose("/")
    def index(self):
        """Every setting, grouped by module; platform staff may pick a merchant."""
        merchant = self._merchant()
        merchants = []
        if current_user.is_platform:
            merchants = db.session.execute(db.select(Merchant).order_by(Merchant.code)).scalars().all()
            merchants = [m for m in merchants if access.access().data_level("merchant", m.id) >= access.READ]
        return self.render("portal/settings.html", groups=self._rows(merchant), merchant=merchant,
                           merchants=merchants)

    def _target(self, merchant):
        """The spec and the merchant id a save or reset is about; 403 when the
        user may not change it, 404 for an unknown setting."""
        try:
            spec = settings.spec(request.form.get("key", ""))
        except settings.InvalidSetting:
            abort(404)
        merchant_id = merchant.id if merchant is not None and request.form.get("scope") == "merchant" else None
        if request.form.get("scope") == "merchant" and merchant is None:
            abort(400)
        if not current_user.is_platform and spec.plugin in kernel().disabled(current_user.merchant_id):
            abort(404)
        if not settings.may_edit(spec, merchant_id):
            abort(403)
        return spec, merchant_id

    @expose("/save", methods=["POST"])
    def save(self):
        """Store one value (the platform's or the merchant's), or show why not."""
        merchant = self._merchant()
        spec, merchant_id = self._target(merchant)
        if spec.secret and not request.form.get("value", "").strip():
            # the field is never filled in with the secret: empty means "not typed", not "clear it"
            return self._answer(spec, merchant, error=_(
                "%(title)s: type the new value (the stored one is not shown); Reset removes it.",
                title=_(spec.title)))
        try:
            settings.set_value(spec.key, request.form.get("value", ""), merchant_id,
                               current_user._get_current_object())
        except settings.InvalidSetting as exc:
            db.session.rollback()
            return self._answer(spec, merchant, error=str(exc))
        db.session.commit()
        return self._answer(spec, merchant, message=_("%(title)s saved.", title=_(spec.title)))

    @expose("/reset", methods=["POST"])
    def reset(self):
        """Drop one stored value so the next one down applies again."""
        merchant = self._merchant()
        spec, merchant_id = self._target(merchant)
        settings.reset(spec.key, merchant_id, current_user._get_current_object())
        db.session.commit()
        message = (_("%(title)s: the merchant's override is removed.", title=_(spec.title)) if merchant_id
                   else _("%(title)s is back to its default.", title=_(spec.title)))
        return self._answer(spec, merchant, message=message)

    def _answer(self, spec, merchant, error=None, message=None):
        """HTMX: the setting's row again, with the outcome in it (a 200, so
        HTMX swaps it). Otherwise: back to the page, with a flash."""
        if request.headers.get("HX-Request") != "true":
            flash(error or message, "error" if error else "success")
            return redirect(url_for(".index", merchant=merchant.id if merchant and current_user.is_platform else None))
        group = self._rows(merchant, only_key=spec.key)[0]
        submitted = {"scope": request.form.get("scope"), "value": request.form.get("value")} if error else None
        return self.render("portal/settings.html", groups=[], merchant=merchant, item=group["items"][0],
                           error=error, message=message, submitted=submitted, partial="portal/_settings_row.html")
