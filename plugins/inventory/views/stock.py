"""Stock: the list of stock rows with filters, the per-row HTMX forms (goods
received, stocktake, transfer, customer return, move between states, write-off,
the SKU's safety stock and low-stock threshold), and each row's ledger."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import select

from portal import access
from portal.events import EventRejected
from portal.extensions import db
from portal.paging import paginate
from portal.views import PortalView

from .. import services
from ..models import Stock, StockLedger, Warehouse
from ..services import InsufficientStock, InvalidQuantity, InventoryError, adjust, increase
from .stock_list import (ADJUST, STATE_FILTERS, StockFilters, filtered_sku_code, merchant_choices, row_context,
                         stock_query, transfer_destinations)

__all__ = ["StockView", "stock_query"]

RESOURCE = "inventory.stock"
PER_PAGE = 50


class RowFormError(InventoryError):
    """A row form's field the page refuses before any service runs."""


def row_message(exc, row_warehouse_id=None):
    """The message a refused row form shows: the service's, or a plainer one
    that names the field in the user's words, leaving out what the row already
    shows (the SKU and the warehouse)."""
    if isinstance(exc, InvalidQuantity):
        plain = {"quantity": gettext("Enter the quantity as a whole number above zero."),
                 "counted": gettext("Enter the counted quantity as a whole number, zero or more."),
                 "document": gettext("Enter the document number."),
                 "reason": gettext("Enter the reason for the count."),
                 "safety_stock": gettext("Safety stock: enter a whole number, zero or more."),
                 "low_stock_threshold": gettext("Low-stock threshold: enter a whole number, zero or more.")}
        return plain.get(exc.field, str(exc))
    if isinstance(exc, InsufficientStock) and exc.warehouse_id == row_warehouse_id:
        # the row names the SKU and the warehouse already, by code rather than by id
        states = {"damaged": gettext("damaged"), "quality_hold": gettext("on quality hold")}
        return gettext("%(requested)s units asked for; only %(available)s %(state)s here.",
                       requested=exc.requested, available=exc.available,
                       state=states.get(exc.state, gettext("available")))
    return str(exc)


def _int_or_none(raw):
    try:
        return int(raw) if raw not in (None, "") else None
    except ValueError:
        return None


class StockView(PortalView):
    resource = RESOURCE

    @expose("/")
    def index(self):
        """Stock rows, filtered; not counted, so it stays fast on large tables."""
        filters = StockFilters.from_args(request.args, merchant_staff=current_user.merchant_id is not None)
        page = paginate(filters.query(), request.args.get("page"), PER_PAGE, count=False)
        warehouses = db.session.execute(access.scoped(select(Warehouse), Warehouse, "read")
                                        .order_by(Warehouse.code)).scalars().all()
        return self.render("inventory/stock.html", page=page, filters=filters, warehouses=warehouses,
                           merchants=merchant_choices(current_user), states=_state_labels(),
                           sku_code=filtered_sku_code(filters.sku_id), can_adjust=self.can("write", ADJUST))

    @expose("/<int:stock_id>/actions")
    def actions(self, stock_id):
        """HTMX: the row's forms, fetched when its "Change stock" opens."""
        row = self._writable(stock_id)
        if request.headers.get("HX-Request") != "true":
            return redirect(url_for(".index", sku=row.sku_id))
        return self.render("inventory/_stock_actions.html", row=row, partial="inventory/_stock_actions.html",
                           **row_context([row]))

    @expose("/<int:stock_id>/receive", methods=["POST"])
    def receive(self, stock_id):
        """HTMX: goods received into this row's warehouse; the row comes back."""
        row = self._writable(stock_id)
        form = request.form
        return self._attempt(row, "receive", lambda: increase(self._user(), row.sku_id, row.warehouse_id,
                                                               form.get("qty", ""), form.get("document", "")))

    @expose("/<int:stock_id>/count", methods=["POST"])
    def count(self, stock_id):
        """HTMX: a stocktake sets on-hand to the counted quantity; the row comes back."""
        row = self._writable(stock_id)
        form = request.form
        return self._attempt(row, "count", lambda: adjust(self._user(), row.sku_id, row.warehouse_id,
                                                           form.get("counted", ""), form.get("reason", "")))

    @expose("/<int:stock_id>/transfer", methods=["POST"])
    def transfer(self, stock_id):
        """HTMX: available units sent to another warehouse the user may stock."""
        row = self._writable(stock_id)
        form = request.form

        def call():
            destination = _int_or_none(form.get("destination"))
            if destination not in {w.id for w in transfer_destinations([row])[row.id]}:
                raise RowFormError(gettext("Choose the warehouse the goods go to from the list."))
            services.transfer(self._user(), row.sku_id, row.warehouse_id, destination, form.get("qty", ""),
                              form.get("document", "").strip())
        return self._attempt(row, "transfer", call)

    @expose("/<int:stock_id>/return", methods=["POST"])
    def returned(self, stock_id):
        """HTMX: goods back from a customer, sellable again or damaged."""
        row = self._writable(stock_id)
        form = request.form
        return self._attempt(row, "return", lambda: services.return_goods(
            self._user(), row.sku_id, row.warehouse_id, form.get("qty", ""), form.get("to", ""),
            form.get("document", "").strip()))

    @expose("/<int:stock_id>/move", methods=["POST"])
    def move(self, stock_id):
        """HTMX: units moved between sellable, damaged and quality hold."""
        row = self._writable(stock_id)
        form = request.form

        def call():
            source, destination = form.get("from", ""), form.get("to", "")
            if source and source == destination:
                raise RowFormError(gettext("Choose a state to move the units to other than the one they are in."))
            services.move(self._user(), row.sku_id, row.warehouse_id, form.get("qty", ""), source, destination,
                          form.get("note", "").strip())
        return self._attempt(row, "move", call)

    @expose("/<int:stock_id>/write-off", methods=["POST"])
    def write_off(self, stock_id):
        """HTMX: damaged or held units leave the stock (destroyed, sent back)."""
        row = self._writable(stock_id)
        form = request.form
        return self._attempt(row, "write_off", lambda: services.write_off(
            self._user(), row.sku_id, row.warehouse_id, form.get("qty", ""), form.get("state", ""),
            form.get("note", "").strip()))

    @expose("/<int:stock_id>/policy", methods=["POST"])
    def policy(self, stock_id):
        """HTMX: the SKU's safety stock and low-stock threshold (for all its warehouses)."""
        row = self._writable(stock_id)
        form = request.form
        return self._attempt(row, "policy", lambda: services.set_policy(
            self._user(), row.sku_id, form.get("safety_stock", ""), form.get("low_stock_threshold", "")))

    @expose("/<int:stock_id>/ledger")
    def ledger(self, stock_id):
        """The row's ledger, newest first, paged."""
        row = access.get_or_404(Stock, stock_id, RESOURCE, "read")
        query = (select(StockLedger).where(StockLedger.sku_id == row.sku_id,
                                           StockLedger.warehouse_id == row.warehouse_id)
                 .order_by(StockLedger.id.desc()))
        page = paginate(query, request.args.get("page"), PER_PAGE)
        return self.render("inventory/ledger.html", row=row, page=page, partial="inventory/_ledger_rows.html")

    @staticmethod
    def _user():
        return current_user._get_current_object()

    def _writable(self, stock_id):
        access.require(ADJUST, "write")
        row = access.get_or_404(Stock, stock_id, RESOURCE, "read")
        if access.record_level(ADJUST, row) < access.WRITE:
            abort(403)  # the data scope lets the user read this row, not change it
        return row

    def _attempt(self, row, action, call):
        """Run the service and commit; on a business error (or an event
        handler's refusal) roll back and show the message in the row, answered
        200 so HTMX swaps it in."""
        error, row_id, warehouse_id = None, row.id, row.warehouse_id  # a rollback expires ``row``
        try:
            call()
            db.session.commit()
        except (InventoryError, EventRejected) as exc:  # a handler of the operation's event may refuse it
            db.session.rollback()
            error = row_message(exc, warehouse_id)
        if request.headers.get("HX-Request") != "true":
            flash(error or gettext("Saved."), "error" if error else "success")
            return redirect(url_for(".index"))
        row = db.session.execute(stock_query().where(Stock.id == row_id)
                                 .execution_options(populate_existing=True)).scalar_one()
        # the row comes back with its forms open, where the user just worked
        return self.render("inventory/_stock_row.html", row=row, error=error, action=action, can_adjust=True,
                           more_open=True, partial="inventory/_stock_row.html", **row_context([row]))


def _state_labels():
    """The state filter's choices, in the order shown."""
    labels = {"locked": gettext("Has locked units"), "damaged": gettext("Has damaged units"),
              "quality_hold": gettext("Has units on quality hold"),
              "unavailable": gettext("Nothing available")}
    return [(key, labels[key]) for key in STATE_FILTERS]
