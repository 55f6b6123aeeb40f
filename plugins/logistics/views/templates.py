"""Freight templates: the list (search, merchant filter, paging), the editor
with one HTMX row per zone, and deletion after a confirmation."""
import time

from flask import abort, flash, make_response, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from sqlalchemy import select

from portal import access
from portal.extensions import db
from portal.i18n import N_
from portal.models import Merchant
from portal.paging import paginate
from portal.views import PortalView

from .. import regions
from ..models import BASES, FreightTemplate
from ..services.errors import LogisticsError
from ..services.templates import create_template, delete_template, update_template
from . import region_picker
from .common import actor, category_choices, chosen_merchant, merchant_choices, sort_order

RESOURCE = "logistics.template"
PER_PAGE = 50
SORTS = {"name": FreightTemplate.name, "merchant": Merchant.code, "basis": FreightTemplate.basis,
         "updated": FreightTemplate.updated_at}
ZONE_FIELDS = ("regions", "first_units", "first_fee", "additional_units", "additional_fee", "free_over_amount",
               "free_over_count", "no_delivery")
BASIS_LABELS = {"count": N_("items"), "weight": N_("weight (kg)"), "volume": N_("volumetric weight (kg)"),
                "amount": N_("order amount")}


def posted_zones(form):
    """The zone rows in the order they were posted (``zone-<n>-<field>``). A
    row saved with its region picker still open takes the picker's choice, as
    "Use these regions" would have."""
    keys = sorted({int(k.split("-")[1]) for k in form if k.startswith("zone-") and k.split("-")[1].isdigit()})
    zones = []
    for n in keys:
        zone = {f: form.get(f"zone-{n}-{f}", "") for f in ZONE_FIELDS}
        if form.get(f"picker-{n}"):
            zone["regions"] = region_picker.applied(zone["regions"], form.getlist(f"pick-{n}"))
        zones.append(zone)
    return zones


def template_values(template):
    return {"name": template.name, "basis": template.basis, "volume_divisor": template.volume_divisor,
            "category_id": template.category_id or "", "merchant_id": template.merchant_id,
            "zones": [{"regions": z.regions, "first_units": z.first_units.normalize(), "first_fee": z.first_fee,
                       "additional_units": z.additional_units.normalize(), "additional_fee": z.additional_fee,
                       "free_over_amount": "" if z.free_over_amount is None else z.free_over_amount,
                       "free_over_count": z.free_over_count or "", "no_delivery": z.no_delivery}
                      for z in template.zones]}


class TemplatesView(PortalView):
    resource = RESOURCE

    @expose("/")
    def index(self):
        """The templates of the user's merchants: by merchant, store default
        first, then name; or by the column whose header was clicked."""
        q = (request.args.get("q") or "").strip()
        merchant = chosen_merchant(request.args.get("merchant")) if request.args.get("merchant") else None
        sort, order = sort_order(request.args.get("sort"), SORTS, "", FreightTemplate.id)
        query = access.scoped(select(FreightTemplate), FreightTemplate, "read")
        if q:
            query = query.where(FreightTemplate.name.ilike(f"%{q}%"))
        if merchant:
            query = query.where(FreightTemplate.merchant_id == merchant)
        if sort.lstrip("-") == "merchant":
            query = query.join(Merchant, Merchant.id == FreightTemplate.merchant_id)
        order = order or (FreightTemplate.merchant_id, FreightTemplate.category_id.is_not(None), FreightTemplate.name,
                          FreightTemplate.id)
        page = paginate(query.order_by(*order), request.args.get("page"), PER_PAGE)
        return self.render("logistics/templates.html", page=page, q=q, merchant=merchant, merchants=merchant_choices(),
                           basis_labels=BASIS_LABELS, can_write=self.can("write"), sort=sort)

    @expose("/new", methods=["GET", "POST"])
    def create(self):
        """A new template: the store default, or one category's."""
        access.require(RESOURCE, "write")
        values = {"basis": "count", "volume_divisor": 6000, "zones": [{"regions": "CN", "first_units": 1,
                                                                       "additional_units": 1}]}
        error = None
        if request.method == "POST":
            values = self._posted()
            merchant_id = chosen_merchant(request.form.get("merchant_id"))
            saved, error = self._save(lambda: create_template(actor(), merchant_id, values))
            if saved is not None:
                return redirect(url_for(".edit", template_id=saved))
        return self._form(None, values, error)

    @expose("/<int:template_id>", methods=["GET", "POST"])
    def edit(self, template_id):
        """One template: read for everyone who reaches it, saved with write access."""
        template = access.get_or_404(FreightTemplate, template_id, RESOURCE, "read")
        values, error = template_values(template), None
        if request.method == "POST":
            access.get_or_404(FreightTemplate, template_id, RESOURCE, "write")
            values = self._posted()
            saved, error = self._save(lambda: update_template(actor(), template_id, values))
            if saved is not None:
                return redirect(url_for(".edit", template_id=template_id))
            template = db.session.get(FreightTemplate, template_id)
        return self._form(template, values, error)

    @expose("/<int:template_id>/delete", methods=["POST"])
    def delete(self, template_id):
        """Delete a template (manage); the page asked for confirmation first."""
        template = access.get_or_404(FreightTemplate, template_id, RESOURCE, "manage")
        name = template.name
        _saved, error = self._save(lambda: delete_template(actor(), template_id))
        if error:
            flash(error, "error")
            return redirect(url_for(".edit", template_id=template_id))
        flash(_("Template %(name)s deleted.", name=name), "success")
        return redirect(url_for(".index"))

    @expose("/zone-row")
    def zone_row(self):
        """A blank zone row for the editor (HTMX); ``?remove=1``: nothing (the row is removed)."""
        access.require(RESOURCE, "write")
        if request.args.get("remove"):
            response = make_response("")
            response.vary.add("HX-Request")
            return response
        # rows are posted in the order of their numbers: a new row numbered by the clock goes last
        n = time.time_ns() // 1_000_000
        response = self.render("logistics/_zone_row.html", partial="logistics/_zone_row.html", n=n,
                               zone={"first_units": 1, "additional_units": 1}, can_write=True)
        return response

    @expose("/region-picker")
    def region_picker(self):
        """A zone row's regions cell (HTMX): with the picker open, or (``apply``)
        with the picked regions written into the field, or (``close``) as typed."""
        access.require(RESOURCE, "write")
        n = self._zone_number()
        typed = request.args.get(f"zone-{n}-regions", "")
        if request.args.get("apply"):
            typed = region_picker.applied(typed, request.args.getlist(f"pick-{n}"))
        picker = None if request.args.get("apply") or request.args.get("close") else region_picker.tree(typed)
        return self.render("logistics/_zone_regions.html", partial="logistics/_zone_regions.html", n=n,
                           value=typed, picker=picker, can_write=True)

    @expose("/region-picker/cities")
    def region_cities(self):
        """One province's cities for the picker, checked as the row's field names them (HTMX)."""
        access.require(RESOURCE, "write")
        n, province = self._zone_number(), request.args.get("province", "")
        if province not in regions.children(region_picker.CHINA):
            abort(404)
        selected = set(region_picker.typed_codes(request.args.get(f"zone-{n}-regions", "")))
        return self.render("logistics/_region_cities.html", partial="logistics/_region_cities.html", n=n,
                           cities=region_picker.cities(province, selected))

    @staticmethod
    def _zone_number():
        n = request.args.get("n", "")
        if not (n.isascii() and n.isdigit()) or len(n) > 20:
            abort(404)
        return int(n)

    def _posted(self):
        form = request.form
        return {"name": form.get("name", ""), "basis": form.get("basis", ""),
                "volume_divisor": form.get("volume_divisor", ""), "category_id": form.get("category_id", ""),
                "merchant_id": form.get("merchant_id", ""), "zones": posted_zones(form)}

    def _form(self, template, values, error):
        can_write = template is None or access.record_level(RESOURCE, template) >= access.WRITE
        can_delete = template is not None and access.record_level(RESOURCE, template) >= access.MANAGE
        return self.render("logistics/template_form.html", record=template, values=values, error=error,
                           merchants=merchant_choices() if template is None else [], categories=category_choices(),
                           bases=BASES, basis_labels=BASIS_LABELS, can_write=can_write, can_delete=can_delete,
                           regions=regions.choices())

    @staticmethod
    def _save(action):
        """Run the service and commit, or roll back and return the message."""
        try:
            result = action()
            db.session.commit()
        except (LogisticsError, access.AccessDenied) as exc:
            db.session.rollback()
            return None, str(exc)
        flash(_("Saved."), "success")
        return getattr(result, "id", True), None
