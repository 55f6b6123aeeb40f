"""Shipments: the list of shipped shipments (filters: carrier, tracking
status, late; search by tracking or order number; no total count, the table
is large), and one shipment's page with its tracking timeline and the form
staff record an event with (HTMX)."""
from datetime import timedelta

from flask import abort, request
from flask_admin import expose
from flask_babel import gettext as _
from sqlalchemy import or_, select

from plugins.orders.models import SHIPMENT_SHIPPED, Order, Shipment
from plugins.orders.services import OrdersError
from plugins.orders.services.errors import state_label
from portal import access, settings
from portal.events import EventRejected
from portal.extensions import db
from portal.models import utcnow
from portal.paging import Page
from portal.views import PortalView

from ..models import DELIVERED, STATUSES, Carrier, Tracking
from ..services.errors import LogisticsError
from ..services.tracking import STATUS_LABELS, add_event
from .common import actor, sort_order

RESOURCE = "logistics.shipment"
PER_PAGE = 50
UNTRACKED = "untracked"
# each sort has an index that gives its rows in order, so a page never sorts the whole table;
# "order" is the order of placement (order ids rise with order numbers)
SORTS = {"number": Shipment.tracking_number, "order": Shipment.order_id, "shipped": Shipment.shipped_at}
# sorts by the tracking row list only tracked shipments (see ``sort_of``)
TRACKING_SORTS = {"updated": Tracking.last_event_at, "status": Tracking.status}


def sort_of(args):
    """``(sort, by tracking)``: the list's sort key as read (unknown: "", newest
    first), and whether it sorts by a tracking column. Those sorts leave out
    the shipments not tracked yet (an index on the tracking rows orders them;
    the untracked have no row), so with the "not tracked yet" filter they are
    not applied."""
    sort, _order = sort_order(args.get("sort"), {**SORTS, **TRACKING_SORTS}, "", Shipment.id)
    by_tracking = sort.lstrip("-") in TRACKING_SORTS
    if by_tracking and args.get("status") == UNTRACKED:
        return "", False
    return sort, by_tracking


def shipment_query(args, now):
    """The filtered select of ``(Shipment, Tracking or None, order number)``,
    newest first or by ``args["sort"]`` (see ``sort_of``; ``-`` first for
    descending; the shipment id breaks ties)."""
    sort, by_tracking = sort_of(args)
    carrier, status = args.get("carrier") or "", args.get("status") or ""
    # a filter on the tracking row lists tracked shipments only: join it, and take the newest by its copy
    # of the shipment id, which its carrier and status indexes hold, rather than sort every matching row
    tracked = by_tracking or carrier.isdigit() or status in STATUSES
    query = select(Shipment, Tracking, Order.number).join(Order, Order.id == Shipment.order_id)
    if tracked:
        # a tracking row is made only for a shipped shipment, and a shipped one stays shipped: no status
        # test on the shipment, which would lead SQLite to scan the shipments and sort them all
        query = query.join(Tracking, Tracking.shipment_id == Shipment.id)
    else:
        query = query.outerjoin(Tracking, Tracking.shipment_id == Shipment.id)
        query = query.where(Shipment.status == SHIPMENT_SHIPPED)
    query = access.scoped(query, Shipment, "read")
    q = (args.get("q") or "").strip()
    if q:
        query = query.where(or_(Shipment.tracking_number == q, Order.number == q.upper()))
    if carrier.isdigit():
        carrier_of = Tracking.carrier_id
        if sort and not by_tracking and db.session.get_bind().dialect.name == "sqlite":
            # sorted by a shipment column, SQLite would read the carrier's whole index and sort it; as an
            # expression the carrier is tested on the rows the sort's index gives, in order, until a page is full
            carrier_of = carrier_of + 0
        query = query.where(carrier_of == int(carrier))
    if status == UNTRACKED:
        query = query.where(Tracking.id.is_(None))
    elif status in STATUSES:
        query = query.where(Tracking.status == status)
    if args.get("late") == "1":
        cutoff = now - timedelta(days=settings.get("logistics.late_days"))
        query = query.where(Tracking.status != DELIVERED, Tracking.last_event_at < cutoff)
    if by_tracking:
        _sort, order = sort_order(sort, TRACKING_SORTS, "", Tracking.shipment_id)
    else:
        _sort, order = sort_order(sort, SORTS, "", Shipment.id)
    return query.order_by(*(order or ((Tracking.shipment_id if tracked else Shipment.id).desc(),)))


def rows_page(query, raw_page):
    """One page of result rows, not counted: one row more says a next page exists."""
    try:
        number = max(1, int(raw_page or 1))
    except (TypeError, ValueError):
        number = 1
    rows = db.session.execute(query.limit(PER_PAGE + 1).offset((number - 1) * PER_PAGE)).all()
    page = Page(rows[:PER_PAGE], number, PER_PAGE, None)
    page._more = len(rows) > PER_PAGE
    return page


class ShipmentsView(PortalView):
    resource = RESOURCE

    @expose("/")
    def index(self):
        """Shipped shipments in the user's scope, filtered."""
        now = utcnow()
        query = shipment_query(request.args, now)
        page = rows_page(query, request.args.get("page"))
        carriers = db.session.execute(select(Carrier).order_by(Carrier.code)).scalars().all()
        sort, by_tracking = sort_of(request.args)
        return self.render("logistics/shipments.html", page=page, args=request.args, sort=sort,
                           by_tracking=by_tracking, carriers=carriers,
                           statuses=STATUSES, status_labels=STATUS_LABELS, untracked=UNTRACKED,
                           late_days=settings.get("logistics.late_days"), now=now)

    @expose("/<int:shipment_id>", methods=["GET"])
    def detail(self, shipment_id):
        """One shipment: order, carrier, tracking link and timeline."""
        shipment = self._shipment(shipment_id, "read")
        return self._page(shipment)

    @expose("/<int:shipment_id>/events", methods=["POST"])
    def add(self, shipment_id):
        """Staff record a tracking event; "delivered" on the last shipment completes the order."""
        shipment = self._shipment(shipment_id, "write")
        error, done = None, None
        try:
            add_event(actor(), shipment, request.form, "staff")
            db.session.commit()
            done = _("Tracking event recorded.")
        except (LogisticsError, OrdersError, EventRejected, access.AccessDenied) as exc:
            db.session.rollback()
            error = str(exc)
        shipment = db.session.get(Shipment, shipment_id)
        return self._page(shipment, error=error, done=done, form=request.form if error else {})

    def _shipment(self, shipment_id, level):
        shipment = access.get_or_404(Shipment, shipment_id, RESOURCE, level)
        if shipment.status != SHIPMENT_SHIPPED:
            abort(404)
        return shipment

    def _page(self, shipment, error=None, done=None, form=None):
        tracking = db.session.execute(select(Tracking).where(Tracking.shipment_id == shipment.id)).scalar()
        return self.render("logistics/shipment.html", partial="logistics/_tracking.html", shipment=shipment,
                           tracking=tracking, order=shipment.order, statuses=STATUSES, status_labels=STATUS_LABELS,
                           can_write=access.record_level(RESOURCE, shipment) >= access.WRITE, error=error, done=done,
                           form=form or {}, state_label=state_label)
