"""Members: the list (search, filters, sorting, pages without a count) and
one member's page: profile, orders, points, codes issued to them and level
history, with the edit, points adjustment, level, export and erasure actions."""
import json

from flask import Response, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from plugins.orders.models import Order
from plugins.orders.services.errors import state_label
from portal import access
from portal.extensions import db
from portal.paging import paginate
from portal.views import PortalView

from ..models import ENTRY_KINDS, CHANGE_REASONS, Level, LevelChange, Member, MemberOrder, PointsEntry
from ..services import MembersError
from ..services.levels import ladder, set_level
from ..services.marketing import codes_of
from ..services.points import adjust
from ..services.profiles import (InvalidMember, create_member, erase_member, export_member, mask_email,
                                 mask_phone, sees_contacts, update_member)
from ..services.rfm import GROUPS
from ..services.scope import member_or_404, scoped_members

RESOURCE = "members.member"
PER_PAGE = 50
SORTS = {"id": Member.id, "name": Member.name, "spent": Member.total_spent, "orders": Member.orders_count,
         "last_order": Member.last_order_at, "points": Member.points_balance}
HISTORY = 50


def _actor():
    return current_user._get_current_object()


def list_query(args):
    """The filtered, sorted select of the list and its filters as read."""
    q = (args.get("q") or "").replace("\x00", "").strip()[:64]
    level = args.get("level") or ""
    group = args.get("rfm") if args.get("rfm") in GROUPS else ""
    consent = args.get("consent") if args.get("consent") in ("yes", "no") else ""
    sort = args.get("sort") or "-id"
    key = sort.lstrip("-")
    if key not in SORTS:
        sort, key = "-id", "id"
    query = scoped_members(select(Member).options(selectinload(Member.level)), "read")
    if q:
        # exact reference or phone, or the start of the name: each an index lookup
        query = query.where((Member.customer_ref == q) | (Member.phone == q) |
                            ((Member.name >= q) & (Member.name < q + "\U0010ffff")))
    if level.isdigit():
        query = query.where(Member.level_id == int(level))
    if group:
        query = query.where(Member.rfm_group == group)
    if consent:
        query = query.where(Member.marketing_consent.is_(consent == "yes"))
    column = SORTS[key]
    order = column.desc() if sort.startswith("-") else column.asc()
    query = query.order_by(order, Member.id.desc() if sort.startswith("-") else Member.id.asc())
    filters = {"q": q, "level": level, "rfm": group, "consent": consent, "sort": sort}
    return query, filters


class MembersView(PortalView):
    resource = RESOURCE

    def _common(self):
        return {"mask_phone": mask_phone, "mask_email": mask_email, "full": sees_contacts(),
                "groups": GROUPS, "state_label": state_label}

    @expose("/")
    def index(self):
        """Members in the user's scope; filtered, sorted, paged (never counted: a million rows)."""
        query, filters = list_query(request.args)
        page = paginate(query, request.args.get("page"), PER_PAGE, count=False)
        active = any(filters[k] for k in ("q", "level", "rfm", "consent"))
        return self.render("members/list.html", page=page, filters=filters, active=active, levels=ladder(),
                           can_write=self.can("write"), partial="members/_rows.html", **self._common())

    @expose("/new", methods=["GET", "POST"])
    def new(self):
        """Add a member by hand."""
        self._need("write")
        errors, data = {}, request.form
        if request.method == "POST":
            try:
                member = create_member(_actor(), data)
                db.session.commit()
                flash(_("Member added."), "success")
                return redirect(url_for(".detail", member_id=member.id))
            except InvalidMember as exc:
                db.session.rollback()
                errors[exc.field] = str(exc)
        return self.render("members/form.html", member=None, data=data, errors=errors)

    @expose("/<int:member_id>")
    def detail(self, member_id):
        """One member: profile, addresses, tags, orders, points, levels, actions."""
        member = member_or_404(member_id)
        return self._detail(member)

    def _detail(self, member, error="", done=""):
        # a store's staff see the member's orders with their store only
        orders = db.session.execute(access.scoped(
            select(MemberOrder, Order).join(Order, Order.id == MemberOrder.order_id)
            .where(MemberOrder.member_id == member.id), MemberOrder, "read")
            .order_by(MemberOrder.placed_at.desc()).limit(HISTORY)).all()
        points = db.session.execute(select(PointsEntry).where(PointsEntry.member_id == member.id)
                                    .order_by(PointsEntry.id.desc()).limit(HISTORY)).scalars().all()
        changes = db.session.execute(select(LevelChange).where(LevelChange.member_id == member.id)
                                     .order_by(LevelChange.id.desc()).limit(HISTORY)).scalars().all()
        return self.render("members/detail.html", member=member, orders=orders, points=points, changes=changes,
                           codes=codes_of(member, _actor()),
                           kinds=ENTRY_KINDS, reasons=CHANGE_REASONS, levels=ladder(), error=error, done=done,
                           can_write=self.can("write"), can_manage=self.can("manage"),
                           can_points=self.can("write", "members.points"),
                           sees_points=self.can("read", "members.points"), partial="members/_detail.html",
                           **self._common())

    @expose("/<int:member_id>/edit", methods=["GET", "POST"])
    def edit(self, member_id):
        """Change contact details, notes, tags and consent."""
        member = member_or_404(member_id, level="write")
        errors = {}
        data = request.form if request.method == "POST" else {
            "name": member.name, "phone": member.phone, "email": member.email, "region": member.region,
            "notes": member.notes, "marketing_consent": "on" if member.marketing_consent else "",
            "tags": ", ".join(t.tag for t in member.tags)}
        if request.method == "POST":
            try:
                update_member(_actor(), member, request.form)
                db.session.commit()
                flash(_("Member saved."), "success")
                return redirect(url_for(".detail", member_id=member.id))
            except InvalidMember as exc:
                db.session.rollback()
                errors[exc.field] = str(exc)
            except MembersError as exc:
                db.session.rollback()
                errors["name"] = str(exc)
        return self.render("members/form.html", member=member, data=data, errors=errors)

    @expose("/<int:member_id>/points", methods=["POST"])
    def points(self, member_id):
        """Staff add or take points with a reason."""
        member = member_or_404(member_id, "members.points", "write")
        return self._act(member, _("Points adjusted."), lambda: adjust(
            _actor(), member, request.form.get("points", ""), request.form.get("reason", "")))

    @expose("/<int:member_id>/level", methods=["POST"])
    def change_level(self, member_id):
        """Staff set the level by hand."""
        member = member_or_404(member_id, level="manage")
        chosen = request.form.get("level_id", "")
        level = db.session.get(Level, int(chosen)) if chosen.isdigit() else None

        def call():
            if level is None:
                raise MembersError(_("Choose a level from the list."))
            set_level(_actor(), member, level)
        return self._act(member, _("Level set."), call)

    @expose("/<int:member_id>/export")
    def export(self, member_id):
        """Everything kept about the member, as a JSON file."""
        member = member_or_404(member_id, level="manage")
        body = export_member(_actor(), member)
        db.session.commit()
        return Response(json.dumps(body, ensure_ascii=False, indent=2), mimetype="application/json",
                        headers={"Content-Disposition": f"attachment; filename=member-{member.id}.json"})

    @expose("/<int:member_id>/erase", methods=["POST"])
    def erase(self, member_id):
        """Anonymise the member (confirmed in the page); the orders' figures stay."""
        member = member_or_404(member_id, level="manage")
        if request.form.get("confirm") != "ERASE":
            return self._detail(member, error=_("Type ERASE to confirm the erasure."))
        return self._act(member, _("The member was erased."), lambda: erase_member(_actor(), member))

    def _act(self, member, done, call):
        try:
            call()
            db.session.commit()
        except MembersError as exc:
            db.session.rollback()
            db.session.refresh(member)
            return self._detail(member, error=str(exc))
        db.session.refresh(member)
        return self._detail(member, done=done)

    def _need(self, level):
        from flask import abort
        if not self.can(level):
            abort(403)
