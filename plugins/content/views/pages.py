"""Pages: the list, opening a homepage, new campaign pages, a page's editor
(settings, floors, linked products, publishing and versions), the preview
exactly as the storefront shows it, and each floor's clicks."""
import json
from datetime import timedelta

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from portal import access
from portal.extensions import db
from portal.models import Merchant, utcnow
from portal.paging import paginate
from portal.views import PortalView
from plugins.catalog.models import Category
from sqlalchemy import select

from .. import forms
from ..models import FLOOR_KINDS, LINK_TYPES, Page, Version
from ..services import PAGE, PUBLISH, ContentError, pages, publishing, storefront, tracking
from ..services.floors import SLOT_LINKS
from . import actor, attempt, saved


VERSIONS_PER_PAGE = 20


def load(page_id, level="read"):
    """A page in the user's scope at ``level``; 404 outside it."""
    return access.get_or_404(Page, page_id, PAGE, level)


def editor_context(page):
    """What the editor and its partials need."""
    can_write = access.record_level(PAGE, page) >= access.WRITE
    return {"page_": page, "floor_kinds": FLOOR_KINDS, "link_types": LINK_TYPES, "slot_links": SLOT_LINKS,
            "can_write": can_write, "can_publish": access.record_level(PUBLISH, page) >= access.WRITE,
            "sales_available": storefront.sales_available(page.merchant_id),
            "zone": current_user.timezone, "to_input": forms.utc_to_local_input, "categories": _categories}


class PagesView(PortalView):
    resource = PAGE

    @expose("/")
    def index(self):
        """Homepages and campaign pages: search, type, store, sort, pages."""
        args = request.args
        sort = args.get("sort") if args.get("sort", "").lstrip("-") in pages.SORTS else "-created"
        merchant = args.get("merchant", "")
        merchant = merchant if merchant == "platform" or merchant.isdigit() else ""
        query = pages.page_query(args.get("kind"), args.get("q", ""), merchant, sort)
        page = paginate(access.scoped(query, Page), args.get("page"))
        return self.render("content/pages.html", page=page, kind=args.get("kind", ""), q=args.get("q", ""),
                           merchant=merchant, sort=sort, merchants=_merchants(),
                           partial="content/_page_rows.html")

    @expose("/home", methods=["POST"])
    def home(self):
        """Open a store's homepage (the platform's for platform staff choosing none), made the first time."""
        access.require(PAGE, "write")
        page, error = attempt(lambda: pages.ensure_homepage(actor(), request.form.get("merchant_id")))
        if error:
            return redirect(url_for(".index"))
        return redirect(url_for(".edit", page_id=page.id))

    @expose("/new", methods=["GET", "POST"])
    def create(self):
        """The new campaign page form."""
        access.require(PAGE, "write")
        form = request.form
        if request.method == "POST":
            def action():
                return pages.create_campaign(actor(), form.get("merchant_id"),
                                             forms.fields(form, current_user.timezone, ("title", "slug")))
            page, error = attempt(action, _("Campaign page created."))
            if error is None:
                return redirect(url_for(".edit", page_id=page.id))
        return self.render("content/page_new.html", form=form, merchants=_merchants())

    @expose("/<int:page_id>")
    def edit(self, page_id):
        """The editor: settings, floors (drag to reorder), products, publishing, versions."""
        page = load(page_id)
        versions = paginate(publishing.versions_query(page), request.args.get("page"), per_page=VERSIONS_PER_PAGE)
        return self.render("content/page_edit.html", versions=versions, **editor_context(page))

    @expose("/<int:page_id>/settings", methods=["POST"])
    def settings(self, page_id):
        """Save the title, slug and schedule."""
        page = load(page_id, "write")
        attempt(lambda: pages.update_page(actor(), page, forms.fields(request.form, current_user.timezone,
                                                                       ("title", "slug"))), saved())
        return redirect(url_for(".edit", page_id=page_id))

    @expose("/<int:page_id>/delete", methods=["POST"])
    def delete(self, page_id):
        """Delete a campaign page (after the browser asked for confirmation)."""
        page = load(page_id, "manage")
        _deleted, error = attempt(lambda: pages.delete_page(actor(), page), _("Page deleted."))
        return redirect(url_for(".edit", page_id=page_id) if error else url_for(".index"))

    @expose("/<int:page_id>/products", methods=["POST"])
    def add_product(self, page_id):
        """Link a product to a campaign page."""
        page = load(page_id, "write")
        attempt(lambda: pages.add_product(actor(), page, request.form.get("product_id")), saved())
        return redirect(url_for(".edit", page_id=page_id) + "#products")

    @expose("/<int:page_id>/products/<int:product_id>/delete", methods=["POST"])
    def remove_product(self, page_id, product_id):
        """Unlink a product."""
        page = load(page_id, "write")
        attempt(lambda: pages.remove_product(actor(), page, product_id), saved())
        return redirect(url_for(".edit", page_id=page_id) + "#products")

    @expose("/<int:page_id>/publish", methods=["POST"])
    def publish(self, page_id):
        """Publish the draft (needs the publish grant)."""
        page = load(page_id)
        if access.record_level(PUBLISH, page) < access.WRITE:
            abort(403)
        version, error = attempt(lambda: publishing.publish(actor(), page, request.form.get("note")))
        if error is None:
            flash(_("Published as version %(n)s.", n=version.number), "success")
        return redirect(url_for(".edit", page_id=page_id))

    @expose("/<int:page_id>/rollback/<int:version_id>", methods=["POST"])
    def rollback(self, page_id, version_id):
        """Publish an earlier version again and make it the draft."""
        page = load(page_id)
        if access.record_level(PUBLISH, page) < access.WRITE:
            abort(403)
        version, error = attempt(lambda: publishing.rollback(actor(), page, version_id))
        if error is None:
            flash(_("Version %(old)s is live again as version %(n)s.", old=version.restored_from,
                    n=version.number), "success")
        return redirect(url_for(".edit", page_id=page_id))

    @expose("/<int:page_id>/preview")
    def preview(self, page_id):
        """The draft (or a version) rendered as the storefront would show it, now or at a chosen moment."""
        page = load(page_id)
        try:
            at = forms.local_to_utc(request.args.get("at"), current_user.timezone, _("Moment")) or utcnow()
        except ContentError as exc:
            flash(str(exc), "error")
            at = utcnow()
        version = None
        if request.args.get("version"):
            version = db.session.get(Version, int(request.args["version"])) \
                if request.args["version"].isdigit() else None
            if version is None or version.page_id != page.id:
                abort(404)
        data = json.loads(version.snapshot) if version else publishing.snapshot(page)
        body = storefront.resolve(page, data, at, version)
        return self.render("content/preview.html", page_=page, body=body, at=at, version=version,
                           at_input=forms.utc_to_local_input(at, current_user.timezone))

    @expose("/<int:page_id>/clicks")
    def clicks(self, page_id):
        """Impressions and clicks per floor and entry over the last days."""
        page = load(page_id)
        days = request.args.get("days", "30")
        days = int(days) if days.isdigit() and 1 <= int(days) <= 365 else 30
        until = utcnow().date()
        since = until - timedelta(days=days - 1)
        figures = tracking.report(page, since, until)
        data = publishing.snapshot(page)
        if page.live_version is not None:
            data = json.loads(page.live_version.snapshot)
        return self.render("content/clicks.html", page_=page, figures=figures, floors=data["floors"],
                           days=days, since=since, until=until, floor_kinds=FLOOR_KINDS)


def _categories():
    """The category tree for the top-seller rule, parents first."""
    return db.session.execute(select(Category).where(Category.active.is_(True)).order_by(Category.path)).scalars().all()


def _merchants():
    """Stores to choose from: only for users who see more than their own."""
    if current_user.merchant_id is not None:
        return []
    return db.session.execute(access.scoped(select(Merchant).order_by(Merchant.code), Merchant)).scalars().all()

