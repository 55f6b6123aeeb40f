"""Batch printing: the packing slips, or the invoices, of several orders in
one PDF, for the orders ticked on the order list. Not in the menu: the list's
form leads here.

Packing slips are working papers rendered fresh. Invoices are documents:
printing a batch issues (numbers, stores, audits) those not issued yet, so it
is a POST, and reprints the others from their stored copy."""
import io

from flask import make_response, redirect, request, url_for
from flask_login import current_user
from flask_admin import expose
from flask_babel import gettext as _
from pypdf import PdfReader, PdfWriter
from sqlalchemy import select

from portal import access
from portal.extensions import db
from portal.views import PortalView

from ..documents import BatchRefused, invoices_for, packing_slip_pdf, printable_shipments
from ..models import Order, Shipment

RESOURCE, INVOICE = "orders.order", "orders.invoice"
MAX_ORDERS = 50


def chosen_orders(values):
    """The order ids asked for, each once, in the order given; ``ValueError``
    naming the problem for a bad or oversized list."""
    ids = []
    for value in values:
        value = value.strip()
        if not value.isdigit():
            raise ValueError(_("%(value)s is not an order id.", value=value[:20]))
        if int(value) not in ids:
            ids.append(int(value))
    if not ids:
        raise ValueError(_("Tick at least one order to print."))
    if len(ids) > MAX_ORDERS:
        raise ValueError(_("%(num)s orders chosen; print at most %(max)s at a time.", num=len(ids), max=MAX_ORDERS))
    return ids


def concatenate(pdfs):
    """One PDF holding the pages of ``pdfs`` in turn."""
    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(PdfReader(io.BytesIO(pdf)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdf(pdf, filename):
    response = make_response(pdf)
    response.mimetype = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


class PrintView(PortalView):
    """``/orders/print/packing-slips?order=<id>&order=<id>`` and
    ``POST /orders/print/invoices`` (``order=<id>`` fields): one PDF."""

    resource = RESOURCE
    visible_in_menu = False

    @expose("/")
    def index(self):
        """Orders are chosen on the order list."""
        return redirect(url_for("orders_orders.index"))

    @expose("/packing-slips", methods=["GET", "POST"])
    def packing_slips(self):
        """The packing slips of up to ``MAX_ORDERS`` orders in the user's
        scope (another's answers 404), each order's slips as on its own page;
        an order with nothing to pack refuses the batch, naming it."""
        try:
            ids = chosen_orders(request.values.getlist("order"))
        except ValueError as exc:
            return self._refused(str(exc), 400)
        orders = [access.get_or_404(Order, order_id, RESOURCE, "read") for order_id in ids]
        batch = []
        for order in orders:
            shipments = printable_shipments(order, self._shipments(order))
            if not shipments:
                return self._refused(_("Order %(order)s has no shipment to pack; leave it out of the batch.",
                                       order=order.number), 409)
            batch.append((order, shipments))
        # each order is its own document: its header and "page X of Y" stay its own
        pdf = concatenate([packing_slip_pdf(order, shipments) for order, shipments in batch])
        return _pdf(pdf, f"packing-slips-{len(batch)}-orders.pdf")

    @expose("/invoices", methods=["POST"])
    def invoices(self):
        """The invoices of up to ``MAX_ORDERS`` orders (another merchant's
        answers 404): issued now when they were not, reprinted byte for byte
        when they were; an order that cannot have one refuses the batch,
        named with why, and nothing is issued."""
        access.require(INVOICE, "read")
        try:
            ids = chosen_orders(request.form.getlist("order"))
        except ValueError as exc:
            return self._refused(str(exc), 400)
        orders = [access.get_or_404(Order, order_id, INVOICE, "read") for order_id in ids]
        try:
            docs = invoices_for(current_user._get_current_object(), orders)
            db.session.commit()
        except BatchRefused as exc:
            db.session.rollback()
            return self.render("orders/batch_refused.html", problems=exc.problems), 409
        return _pdf(concatenate([doc.content for doc in docs]), f"invoices-{len(docs)}-orders.pdf")

    def _shipments(self, order):
        """The order's shipments in the user's warehouse scope."""
        return db.session.execute(access.scoped(select(Shipment).where(Shipment.order_id == order.id),
                                                Shipment, "read").order_by(Shipment.id)).scalars().all()

    def _refused(self, message, status):
        return self.render("errors/message.html", message=message), status
