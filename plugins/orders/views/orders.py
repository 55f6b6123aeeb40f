"""Orders: the list (filters, pages without a count) and one order's page
with its lifecycle actions as HTMX forms (record a payment, ship, mark
received, cancel, request after-sales, close). Each action calls one service,
commits on success and rolls back on a business error, which the order's
panel shows in place."""
from decimal import Decimal

from flask import abort, flash, make_response, redirect, request, send_file, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from plugins.inventory.services import InventoryError
from portal import access
from portal.documents import send_document
from portal.events import EventRejected
from portal.extensions import db
from portal.i18n import N_, localtime
from portal.models import utcnow
from portal.money import quantize
from portal.paging import paginate
from portal.uploads import stored_path, thumbnail
from portal.views import PortalView

from ..documents import (DocumentRefused, credit_note_refusal, find_credit_note, find_invoice, invoice_refusal,
                         issue_credit_note, issue_invoice, issued_numbers, packing_slip_pdf, printable_shipments)
from ..models import (AFTER_SALES, CANCELLED, CLOSED, COMPLETED, PENDING_PAYMENT, PENDING_RECEIPT,
                      SHIPMENT_PENDING, STATES, Order, Shipment)
from ..models import (CASE_KINDS, CASE_OPEN, CASE_REASONS, CASE_RETURNED, CASE_STATUSES, EXCHANGE, RESTOCK_CHOICES,
                      AfterSalesCase, AfterSalesPhoto)
from ..services import (OrdersError, cancel, close, paid_amount, receive, record_payment, request_after_sales,
                        ship, targets)
from ..services import after_sales, exchange
from ..services.errors import state_label
from .orders_list import OrderFilters, list_rows, merchant_choices

RESOURCE, REFUND, INVOICE = "orders.order", "orders.refund", "orders.invoice"
PER_PAGE = 50
PAYMENT_METHODS = ("bank_transfer", "alipay", "wechat_pay", "card", "cash")


def money(amount, currency):
    """An amount rounded to its currency's minor unit, as text."""
    return f"{quantize(Decimal(amount), currency):,}"


def _actor():
    return current_user._get_current_object()


class ActionError(OrdersError):
    """A form field the page refuses before any service runs."""


class OrdersView(PortalView):
    resource = RESOURCE

    @expose("/")
    def index(self):
        """Orders in the user's scope, newest first, filtered; not counted."""
        filters = OrderFilters.from_args(request.args, merchant_staff=current_user.merchant_id is not None)
        page = paginate(filters.query(), request.args.get("page"), PER_PAGE, count=False, rows=True)
        page.items = list_rows(page.items, state_label, money, localtime)
        return self.render("orders/list.html", page=page, filters=filters, merchants=merchant_choices(current_user),
                           states=[(s, state_label(s)) for s in STATES], money=money, state_label=state_label,
                           can_write=self.can("write"), can_invoice=self.can("read", INVOICE))

    @expose("/<int:order_id>")
    def detail(self, order_id):
        """One order: buyer, lines, adjustments, totals, payments, shipments, history, actions."""
        order = access.get_or_404(Order, order_id, RESOURCE, "read")
        return self._panel(order, partial="orders/_detail.html")

    @expose("/<int:order_id>/payment", methods=["POST"])
    def payment(self, order_id):
        """Record a payment; the order is paid when its payments cover the total."""
        order = self._writable(order_id)
        form = request.form
        return self._attempt(order, "payment", _("Payment recorded."), lambda: record_payment(
            _actor(), order, form.get("method", ""), form.get("amount", "").strip(), order.currency,
            form.get("provider_ref", "")))

    @expose("/<int:order_id>/ship", methods=["POST"])
    def ship(self, order_id):
        """Ship every pending shipment, or the one chosen, with a carrier and tracking number."""
        order = self._writable(order_id)
        form = request.form

        def call():
            shipment = None
            if form.get("shipment"):
                shipment = next((s for s in order.shipments if str(s.id) == form["shipment"]
                                 and s.status == SHIPMENT_PENDING), None)
                if shipment is None:
                    raise ActionError(_("Choose the shipment to ship from the list."))
            ship(_actor(), order, form.get("carrier", ""), form.get("tracking_number", ""), shipment=shipment,
                 note=form.get("note", "").strip())
        return self._attempt(order, "ship", _("Shipped."), call)

    @expose("/<int:order_id>/receive", methods=["POST"])
    def receive(self, order_id):
        """The buyer has the goods: the order is completed."""
        order = self._writable(order_id)
        return self._attempt(order, "receive", _("Marked received."), lambda: receive(
            _actor(), order, note=request.form.get("note", "").strip()))

    @expose("/<int:order_id>/cancel", methods=["POST"])
    def cancel(self, order_id):
        """Cancel before shipment; a paid order is refunded (which needs orders.refund)."""
        order = self._writable(order_id)
        return self._attempt(order, "cancel", _("Order cancelled."), lambda: cancel(
            _actor(), order, note=request.form.get("note", "").strip()))

    @expose("/<int:order_id>/after-sales", methods=["POST"])
    def after_sales(self, order_id):
        """The buyer asks for after-sales service; the reason is required."""
        order = self._writable(order_id)
        return self._attempt(order, "after_sales", _("After-sales requested."), lambda: request_after_sales(
            _actor(), order, note=request.form.get("note", "")))

    @expose("/<int:order_id>/close", methods=["POST"])
    def close(self, order_id):
        """Close a completed order or a finished after-sales case."""
        order = self._writable(order_id)
        return self._attempt(order, "close", _("Order closed."), lambda: close(
            _actor(), order, note=request.form.get("note", "").strip()))

    # -- after-sales ------------------------------------------------------------
    # Opening a case, recording the return and receiving the goods is order
    # work; deciding, refunding and closing is refund work (orders.refund).
    # The page gates on the level, the service checks it again.

    @expose("/<int:order_id>/cases", methods=["POST"])
    def open_case(self, order_id):
        """Open an after-sales case: kind, reason, units per line, amount, photos (multipart)."""
        order = self._writable(order_id)
        form = request.form
        lines = [(key.split("-", 1)[1], value) for key, value in form.items() if key.startswith("qty-")]
        return self._attempt(order, "open_case", _("After-sales case opened."), lambda: after_sales.open_case(
            _actor(), order, form.get("kind", ""), form.get("reason", ""), form.get("note", ""), lines,
            form.get("amount", ""), request.files.getlist("photos")))

    @expose("/<int:order_id>/cases/<int:case_id>/<step>", methods=["POST"])
    def case_step(self, order_id, case_id, step):
        """One step of a case (``CASE_STEPS``): approve, reject, return, receive, refund, exchange, withdraw."""
        if step not in CASE_STEPS:
            abort(404)
        resource, done, call = CASE_STEPS[step]
        order = access.get_or_404(Order, order_id, RESOURCE, "read")
        case = access.get_or_404(AfterSalesCase, case_id, RESOURCE, "read")
        if case.order_id != order.id:
            abort(404)
        if access.record_level(resource, order) < access.WRITE:
            abort(403)
        return self._attempt(order, f"case-{case.id}", _(done), lambda: call(_actor(), case, request.form))

    @expose("/<int:order_id>/cases/photos/<int:photo_id>")
    def case_photo(self, order_id, photo_id):
        """A photo sent with a case, for those who may read the order (``?thumb=1``: small)."""
        order = access.get_or_404(Order, order_id, RESOURCE, "read")
        photo = db.session.get(AfterSalesPhoto, photo_id)
        if photo is None or photo.case.order_id != order.id:
            abort(404)
        stored = photo.file
        path = thumbnail(stored, 160) if request.args.get("thumb") == "1" else stored_path(stored)
        response = send_file(path, mimetype=stored.content_type, max_age=3600, conditional=True)
        response.headers["Cache-Control"] = "private, max-age=3600"
        return response

    def _after_sales(self, order, paid):
        """The cases of the order and what this user may do with them (``paid``:
        what was paid less refunds, read once for the page)."""
        cases = after_sales.cases_of(order)
        handle = access.record_level(RESOURCE, order) >= access.WRITE
        window_open = order.state == PENDING_RECEIPT or (order.state == COMPLETED and (
            order.after_sales_deadline is None or utcnow() <= order.after_sales_deadline))
        still_open = any(c.status in CASE_OPEN for c in cases)
        return {"cases": cases, "can_handle": handle,
                "can_decide": access.record_level(REFUND, order) >= access.WRITE,
                "can_open": handle and (window_open or (order.state == AFTER_SALES and not still_open)),
                "kinds": CASE_KINDS, "reasons": CASE_REASONS, "statuses": CASE_STATUSES,
                "restock_choices": RESTOCK_CHOICES, "refundable": after_sales.refundable(order, paid),
                "warehouses": self._replacement_warehouses(order, cases)}

    def _replacement_warehouses(self, order, cases):
        """Where an exchange waiting for its replacement may ship from, for this user; none when no case waits."""
        if not any(c.kind == EXCHANGE and c.status == CASE_RETURNED for c in cases):
            return []
        reach = access.access()
        return [w for w in exchange.replacement_warehouses(order) if reach.data_level("warehouse", w.id) >= access.WRITE]

    # -- documents ---------------------------------------------------------------
    # Issuing an invoice or credit note takes a number and keeps the PDF, so it
    # is a POST (orders.invoice write) from the order's page; the .pdf URLs
    # only serve what was issued (orders.invoice read), byte for byte.

    @expose("/<int:order_id>/invoice", methods=["POST"])
    def issue_invoice(self, order_id):
        """Issue the order's invoice (numbered, stored, audited) once it is paid."""
        order = self._issuable(order_id)
        before = find_invoice(order)
        return self._attempt(order, "invoice", lambda doc: _issued_message(_("Invoice"), doc, before),
                             lambda: issue_invoice(_actor(), order))

    @expose("/<int:order_id>/credit-note", methods=["POST"])
    def issue_credit_note(self, order_id):
        """Issue the credit note of a cancelled paid order's refunds."""
        order = self._issuable(order_id)
        before = find_credit_note(order)
        return self._attempt(order, "credit_note", lambda doc: _issued_message(_("Credit note"), doc, before),
                             lambda: issue_credit_note(_actor(), order))

    @expose("/<int:order_id>/invoice.pdf")
    def invoice(self, order_id):
        """The order's issued invoice, the stored bytes."""
        order = access.get_or_404(Order, order_id, INVOICE, "read")
        return self._document(order, find_invoice(order), _(
            "Order %(order)s has no invoice yet: issue it with the \"Issue invoice\" button on the order's "
            "page.", order=order.number), invoice_refusal(order))

    @expose("/<int:order_id>/credit-note.pdf")
    def credit_note(self, order_id):
        """The order's issued credit note, the stored bytes."""
        order = access.get_or_404(Order, order_id, INVOICE, "read")
        return self._document(order, find_credit_note(order), _(
            "Order %(order)s has no credit note yet: issue it with the \"Issue credit note\" button on the "
            "order's page.", order=order.number), credit_note_refusal(order))

    @expose("/<int:order_id>/packing-slip.pdf")
    def packing_slip(self, order_id):
        """Packing slips, a page per shipment: the one ``?shipment=<id>`` names, or
        every shipment of the order the user may see (cancelled ones left out).
        Rendered each time: the tracking number appears once shipped."""
        order = access.get_or_404(Order, order_id, RESOURCE, "read")
        shipments = printable_shipments(order, self._shipments(order))
        wanted = request.args.get("shipment")
        if wanted:
            shipments = [s for s in shipments if str(s.id) == wanted]
            if not shipments:
                abort(404)
        try:
            pdf = packing_slip_pdf(order, shipments)
        except DocumentRefused as exc:
            return self._refused(order, str(exc), 409)
        response = make_response(pdf)
        response.mimetype = "application/pdf"
        name = f"{order.number}-packing-slip{'-' + wanted if wanted else ''}.pdf"
        response.headers["Content-Disposition"] = f'inline; filename="{name}"'
        response.headers["Cache-Control"] = "private, no-cache"
        return response

    def _document(self, order, doc, missing, refusal):
        """Serve the stored copy; 404 with what to do when none was issued
        (and why it cannot be yet, when that is so)."""
        if doc is None:
            return self._refused(order, refusal or missing, 404)
        return send_document(doc, f"{doc.number}.pdf")

    def _refused(self, order, message, status):
        """The reason, with the way back to the order's page."""
        return self.render("orders/no_document.html", order=order, message=message), status

    def _issuable(self, order_id):
        order = access.get_or_404(Order, order_id, INVOICE, "read")
        if access.record_level(INVOICE, order) < access.WRITE:
            abort(403)  # may print issued documents, not issue them
        return order

    def _documents(self, order, shipments):
        """The documents links the order's page offers: what exists or may be issued, for this user."""
        level = access.record_level(INVOICE, order)
        numbers = issued_numbers(order)
        offered = {}
        for name, refusal in (("invoice", invoice_refusal), ("credit_note", credit_note_refusal)):
            if name in numbers and level >= access.READ:
                offered[name] = numbers[name]
            elif name not in numbers and level >= access.WRITE and not refusal(order):
                offered[name] = None  # a link that issues it
        offered["packing_slips"] = printable_shipments(order, shipments)
        return offered

    def _shipments(self, order):
        return db.session.execute(access.scoped(select(Shipment).where(Shipment.order_id == order.id),
                                                Shipment, "read").order_by(Shipment.id)).scalars().all()

    # -- helpers ----------------------------------------------------------------

    def _writable(self, order_id):
        access.require(RESOURCE, "write")
        order = access.get_or_404(Order, order_id, RESOURCE, "read")
        if access.record_level(RESOURCE, order) < access.WRITE:
            abort(403)  # the user may read this merchant's orders, not change them
        return order

    def _attempt(self, order, action, done, call):
        """Run the service and commit; on a business error (a refusal by the
        lifecycle, the stock, an event handler, or the refund permission the
        service checks) roll back and show the message in the panel, answered
        200 so HTMX swaps it in."""
        error, order_id = None, order.id  # a rollback expires ``order``
        try:
            result = call()
            db.session.commit()
            if callable(done):  # a message that names what the call made
                done = done(result)
        except (OrdersError, InventoryError, EventRejected, access.AccessDenied) as exc:
            db.session.rollback()
            error = str(exc)
        if request.headers.get("HX-Request") != "true":
            flash(error or done, "error" if error else "success")
            return redirect(url_for(".detail", order_id=order_id))
        order = db.session.execute(select(Order).where(Order.id == order_id)
                                   .execution_options(populate_existing=True)).scalar_one()
        return self._panel(order, partial="orders/_detail.html", error=error, action=action,
                           done=None if error else done, form=request.form if error else {})

    def _panel(self, order, partial, **extra):
        paid = paid_amount(order)
        shipments = self._shipments(order)
        return self.render("orders/detail.html", partial=partial, order=order, paid=paid,
                           owed=max(order.total - paid, Decimal(0)), shipments=shipments,
                           documents=self._documents(order, shipments), after_sales=self._after_sales(order, paid),
                           actions=self._actions(order), money=money, state_label=state_label,
                           methods=PAYMENT_METHODS, **{"error": None, "action": None, "done": None, "form": {},
                                                        **extra})

    def _actions(self, order):
        """The actions the order's state allows and the user may take."""
        if access.record_level(RESOURCE, order) < access.WRITE:
            return set()
        allowed = set(targets(order.state))
        offered = set()
        if order.state == PENDING_PAYMENT and allowed:
            offered.add("payment")
        if PENDING_RECEIPT in allowed:
            offered.add("ship")
        if COMPLETED in allowed:
            offered.add("receive")
        if CANCELLED in allowed:
            offered.add("cancel")
        # after-sales starts with a case (the after-sales panel), which says what the buyer asks for
        # settling an after-sales case is refund work (the service checks it too)
        if CLOSED in allowed and (order.state != AFTER_SALES or access.record_level(REFUND, order) >= access.WRITE):
            offered.add("close")
        return offered



def _issued_message(title, doc, before):
    if before is not None:  # a second click, or another tab: the number stands
        return _("%(title)s %(number)s was already issued; nothing changed.", title=title, number=doc.number)
    return _("%(title)s %(number)s issued.", title=title, number=doc.number)


def _restock(form):
    """``{order line id: (units, decision)}`` from the receive form's ``qty-<id>`` / ``restock-<id>`` fields."""
    return {key[4:]: (value, form.get(f"restock-{key[4:]}", "")) for key, value in form.items()
            if key.startswith("qty-")}


# step -> (the resource it needs written, the message on success, the service call)
CASE_STEPS = {
    "approve": (REFUND, N_("Case approved."),
                lambda actor, case, form: after_sales.approve(actor, case, form.get("amount", ""))),
    "reject": (REFUND, N_("Case rejected."),
               lambda actor, case, form: after_sales.reject(actor, case, form.get("reason", ""))),
    "return": (RESOURCE, N_("Return tracking recorded."),
               lambda actor, case, form: after_sales.record_return(actor, case, form.get("carrier", ""),
                                                                   form.get("tracking_number", ""))),
    "receive": (RESOURCE, N_("Returned goods received."),
                lambda actor, case, form: after_sales.receive_return(actor, case, _restock(form))),
    "refund": (REFUND, N_("Refund recorded."), lambda actor, case, form: after_sales.refund(actor, case)),
    "exchange": (REFUND, N_("Replacement shipped; the exchange is complete."),
                 lambda actor, case, form: exchange.send_replacement(
                     actor, case, form.get("warehouse", ""), form.get("carrier", ""), form.get("tracking_number", ""),
                     form.get("note", ""))),
    "withdraw": (REFUND, N_("Case withdrawn."),
                 lambda actor, case, form: after_sales.withdraw(actor, case, form.get("note", ""))),
}
