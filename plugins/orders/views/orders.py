"""Orders: the list (filters, pages without a count) and one order's page
with its lifecycle actions as HTMX forms (record a payment, ship, mark
received, cancel, request after-sales, close). Each action calls one service,
commits on success and rolls back on a business error, which the order's
panel shows in place."""
from decimal import Decimal

from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from plugins.inventory.services import InventoryError
from portal import access
from portal.events import EventRejected
from portal.extensions import db
from portal.money import quantize
from portal.paging import paginate
from portal.views import PortalView

from ..models import (AFTER_SALES, CANCELLED, CLOSED, COMPLETED, PENDING_PAYMENT, PENDING_RECEIPT,
                      SHIPMENT_PENDING, STATES, Order, Shipment)
from ..services import (OrdersError, cancel, close, paid_amount, receive, record_payment, request_after_sales,
                        ship, targets)
from ..services.errors import state_label
from .orders_list import OrderFilters, merchant_choices

RESOURCE, REFUND = "orders.order", "orders.refund"
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
        page = paginate(filters.query(), request.args.get("page"), PER_PAGE, count=False)
        return self.render("orders/list.html", page=page, filters=filters, merchants=merchant_choices(current_user),
                           states=[(s, state_label(s)) for s in STATES], money=money, state_label=state_label,
                           can_write=self.can("write"))

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
            call()
            db.session.commit()
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
        shipments = db.session.execute(access.scoped(select(Shipment).where(Shipment.order_id == order.id),
                                                     Shipment, "read").order_by(Shipment.id)).scalars().all()
        return self.render("orders/detail.html", partial=partial, order=order, paid=paid,
                           owed=max(order.total - paid, Decimal(0)), shipments=shipments,
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
        if AFTER_SALES in allowed:
            offered.add("after_sales")
        # settling an after-sales case is refund work (the service checks it too)
        if CLOSED in allowed and (order.state != AFTER_SALES or access.record_level(REFUND, order) >= access.WRITE):
            offered.add("close")
        return offered

