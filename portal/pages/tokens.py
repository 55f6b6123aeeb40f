"""API tokens: list, create (the token is shown once), revoke. A merchant's
admins manage their store's tokens; platform staff manage the platform's
tokens and those of the merchants they reach."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user

from .. import access, tokens
from ..extensions import db
from ..models import ApiToken, Merchant
from ..paging import paginate
from ..views import PortalView

PLATFORM = "platform"


def _owner_level(merchant_id):
    return access.access().record_level("core.api_token", {"merchant": merchant_id})


def owner_choices():
    """``[(value, label)]`` of the owners the user may create tokens for."""
    if not current_user.is_platform:
        merchant = current_user.merchant
        return [(str(merchant.id), str(merchant))] if _owner_level(merchant.id) >= access.MANAGE else []
    choices = [(PLATFORM, _("The platform (all merchants)"))] if _owner_level(None) >= access.MANAGE else []
    for merchant in db.session.execute(db.select(Merchant).order_by(Merchant.code)).scalars():
        if _owner_level(merchant.id) >= access.MANAGE:
            choices.append((str(merchant.id), str(merchant)))
    return choices


class TokensView(PortalView):
    resource = "core.api_token"

    @expose("/")
    def index(self):
        """The tokens the user may see, newest first, revoked ones last."""
        page = paginate(tokens.tokens_query(), request.args.get("page"))
        titles = {name: res.title for name, res in access.registry().resources.items()}
        return self.render("portal/tokens.html", page=page, titles=titles, can_create=bool(owner_choices()),
                           permissions_of=tokens.permissions_of)

    def _owner(self, choices):
        """The chosen owner's merchant id (None: the platform); 403 for an
        owner the user may not create tokens for."""
        raw = request.values.get("owner") or (choices[0][0] if choices else "")
        if raw not in {value for value, _label in choices}:
            abort(403)
        return raw, (None if raw == PLATFORM else int(raw))

    @expose("/new", methods=["GET", "POST"])
    def create(self):
        """The form; on success, the one page that shows the new token."""
        choices = owner_choices()
        owner, merchant_id = self._owner(choices)
        levels = tokens.creatable_levels(merchant_id)
        error = None
        if request.method == "POST":
            requested = {name: request.form.get(f"perm:{name}", "none") for name in levels}
            # a resource the form did not offer is still checked (and refused) by the service
            requested.update({key[5:]: value for key, value in request.form.items()
                              if key.startswith("perm:") and key[5:] not in levels})
            try:
                token, plain = tokens.create_token(request.form.get("name"), requested, merchant_id,
                                                   current_user._get_current_object())
            except tokens.TokenError as exc:
                db.session.rollback()
                error = str(exc)
            else:
                db.session.commit()
                response = self.render("portal/tokens_created.html", token=token, plain=plain)
                # the secret is in this page only: keep it out of every cache
                response.headers["Cache-Control"] = "no-store"
                return response
        registry = access.registry()
        groups = {}
        for name, level in levels.items():
            groups.setdefault(registry.resources[name].plugin, []).append((registry.resources[name], level))
        return self.render("portal/tokens_form.html", choices=choices, owner=owner, groups=groups, error=error,
                           form=request.form, level_names=[access.LEVEL_NAMES[lv] for lv in range(4)])

    @expose("/<int:token_id>/revoke", methods=["POST"])
    def revoke(self, token_id):
        """Revoke a token of the user's reach (404 for any other)."""
        token = access.get_or_404(ApiToken, token_id, "core.api_token", "manage")
        if tokens.revoke_token(token, current_user._get_current_object()):
            db.session.commit()
            flash(_("The token %(name)s is revoked; requests with it are refused from now on.", name=token.name),
                  "success")
        return redirect(url_for(".index"))
