"""Levels: the ladder with its thresholds and privileges; manage adds,
changes and removes rungs."""
from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from portal.extensions import db
from portal.views import PortalView

from ..models import Level, Member
from ..services import MembersError
from ..services.levels import delete_level, ladder, save_level


class LevelsView(PortalView):
    resource = "members.member"

    @expose("/", methods=["GET", "POST"])
    def index(self):
        """The ladder; posted (manage), a level is added or changed."""
        error, data = "", {}
        if request.method == "POST":
            if not self._may_manage():
                return self._forbidden()
            data = request.form
            level_id = data.get("level_id", "")
            level = db.session.get(Level, int(level_id)) if level_id.isdigit() else None
            try:
                save_level(current_user._get_current_object(), data, level)
                db.session.commit()
                flash(_("Level saved."), "success")
                return redirect(url_for(".index"))
            except MembersError as exc:
                db.session.rollback()
                error = str(exc)
        held = dict(db.session.execute(select(Member.level_id, func.count()).group_by(Member.level_id)).all()) \
            if current_user.merchant_id is None else {}
        return self.render("members/levels.html", levels=ladder(), held=held, error=error, data=data,
                           can_manage=self._may_manage())

    @expose("/<int:level_id>/delete", methods=["POST"])
    def delete(self, level_id):
        """Remove a level nobody holds or held (confirmed in the page)."""
        if not self._may_manage():
            return self._forbidden()
        level = db.session.get(Level, level_id)
        if level is None:
            from flask import abort
            abort(404)
        try:
            delete_level(current_user._get_current_object(), level)
            db.session.commit()
            flash(_("Level removed."), "success")
        except MembersError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        return redirect(url_for(".index"))

    def _may_manage(self):
        return self.can("manage") and current_user.merchant_id is None

    def _forbidden(self):
        from flask import abort
        abort(403)
