"""Segments: saved rules with a live count as they change (HTMX), the RFM
groups as a chart, the CSV export of a segment's consenting members, and
what another plugin offers (a coupon) issued to its members after a
confirmation that says how many get it."""
from flask import Response, abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select

from portal.access import AccessDenied
from portal.extensions import db
from portal.views import PortalView

from ..models import Segment
from ..services import MembersError
from ..services.levels import ladder
from ..services import marketing
from ..services.marketing import SegmentChanged
from ..services.rfm import GROUPS, group_counts
from ..services.scope import scoped_members
from ..services.segments import (InvalidRules, count, delete_segment, export_csv, parse_rules, rules_of,
                                 save_segment, scoped_segments)
from .chart import bar_chart


def _actor():
    return current_user._get_current_object()


class SegmentsView(PortalView):
    resource = "members.segment"

    @expose("/")
    def index(self):
        """Saved segments and the chart of the RFM groups in the user's scope."""
        segments = db.session.execute(scoped_segments(select(Segment)).order_by(Segment.name)).scalars().all()
        groups = group_counts(lambda q: scoped_members(q, "read"))
        chart = bar_chart([(str(label), n) for _key, label, n in groups], _("Members per RFM group"))
        return self.render("members/segments.html", segments=segments, groups=groups, chart=chart,
                           can_write=self.can("write"), can_manage=self.can("manage"))

    @expose("/new", methods=["GET", "POST"])
    def new(self):
        """The rules form; posted, the segment is saved."""
        return self._form(None)

    @expose("/<int:segment_id>", methods=["GET", "POST"])
    def edit(self, segment_id):
        """A saved segment's rules, its live count and its export."""
        return self._form(self._segment(segment_id))

    def _form(self, segment):
        if request.method == "POST":
            if not self.can("write"):
                abort(403)
            name = request.form.get("name", "")
            try:
                rules = parse_rules(request.form)
                segment = save_segment(_actor(), name, rules, segment)
                db.session.commit()
                flash(_("Segment saved."), "success")
                return redirect(url_for(".edit", segment_id=segment.id))
            except InvalidRules as exc:
                db.session.rollback()
                return self._page(segment, name, _raw_rules(request.form), exc.errors)
        return self._page(segment)

    def _page(self, segment, name=None, rules=None, errors=None, issue_error=""):
        """The segment's form with its count, and what can be issued to its members."""
        name = (segment.name if segment else "") if name is None else name
        rules = (rules_of(segment) if segment else {}) if rules is None else rules
        errors = errors or {}
        total = None if errors else count(rules)
        offers = marketing.offers_for(_actor(), segment) if segment else None
        return self.render("members/segment_form.html", segment=segment, name=name, rules=rules, errors=errors,
                           total=total, levels=ladder(), groups=GROUPS, can_write=self.can("write"),
                           can_manage=self.can("manage"), offers=offers, issue_error=issue_error)

    @expose("/count", methods=["POST"])
    def live_count(self):
        """HTMX: how many members the rules as typed select (nothing saved)."""
        try:
            total, errors = count(parse_rules(request.form)), {}
        except InvalidRules as exc:
            total, errors = None, exc.errors
        return self.render("members/segment_form.html", partial="members/_segment_count.html", total=total,
                           errors=errors)

    @expose("/<int:segment_id>/export.csv")
    def export(self, segment_id):
        """The segment's members who consented to marketing, as CSV."""
        if not self.can("manage"):
            abort(403)
        segment = self._segment(segment_id)
        body = export_csv(_actor(), segment)
        db.session.commit()
        return Response("\ufeff" + body, mimetype="text/csv",
                        headers={"Content-Disposition": f"attachment; filename=segment-{segment.id}.csv"})

    @expose("/<int:segment_id>/issue", methods=["GET", "POST"])
    def issue(self, segment_id):
        """Say who would get a code of the chosen offer (GET, or a POST not
        confirmed with the count shown), then issue it (POST, confirmed)."""
        segment = self._segment(segment_id)
        if not marketing.issuing_exists(segment):
            abort(404)
        form = request.form if request.method == "POST" else request.args
        key, again, expected = form.get("offer", ""), form.get("again") == "1", form.get("expected", "")
        try:
            if request.method == "POST" and expected.isdigit():
                plan = marketing.issue(_actor(), segment, key, again, int(expected))
                db.session.commit()
                flash(ngettext("%(num)d code of %(offer)s issued.", "%(num)d codes of %(offer)s issued.",
                               plan.to_issue, offer=plan.offer.label), "success")
                return redirect(url_for(".edit", segment_id=segment.id))
            plan = marketing.plan_issue(_actor(), segment, key, again)
        except SegmentChanged as exc:
            db.session.rollback()
            return self.render("members/segment_issue.html", segment=segment, plan=exc.plan, error=str(exc))
        except MembersError as exc:
            db.session.rollback()
            return self._page(segment, issue_error=str(exc))
        except AccessDenied:
            db.session.rollback()
            raise
        return self.render("members/segment_issue.html", segment=segment, plan=plan, error="")

    @expose("/<int:segment_id>/delete", methods=["POST"])
    def delete(self, segment_id):
        """Remove a saved segment (confirmed in the page)."""
        if not self.can("manage"):
            abort(403)
        delete_segment(_actor(), self._segment(segment_id))
        db.session.commit()
        flash(_("Segment removed."), "success")
        return redirect(url_for(".index"))

    def _segment(self, segment_id):
        segment = db.session.execute(scoped_segments(select(Segment).where(Segment.id == segment_id))
                                     ).scalar_one_or_none()
        if segment is None:
            abort(404)
        return segment


def _raw_rules(form):
    """The rules as typed, to show the form again after an error."""
    return {"levels": [int(v) for v in form.getlist("levels") if v.isdigit()],
            "rfm_groups": form.getlist("rfm_groups"),
            **{k: form.get(k, "") for k in ("min_spent", "max_spent", "min_orders", "max_orders",
                                            "ordered_within_days", "not_ordered_for_days", "consent")},
            "regions": form.get("regions", ""), "tags": form.get("tags", "")}
