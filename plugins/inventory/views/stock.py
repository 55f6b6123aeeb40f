"""Stock: the list of stock rows with filters, the per-row HTMX forms for
goods received and stocktake, and each row's ledger history."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager

from plugins.catalog.models import Product, Sku
from portal import access
from portal.extensions import db
from portal.paging import paginate
from portal.views import PortalView

from ..models import SkuPolicy, Stock, StockLedger, Warehouse
from ..services import InventoryError, adjust, increase

RESOURCE = "inventory.stock"
ADJUST = "inventory.adjust"
PER_PAGE = 50


def stock_query(q="", warehouse_id=None, low_only=False):
    """Stock rows in the user's scope with their SKU, product and warehouse,
    filtered by SKU code or product title, warehouse, and low stock."""
    query = (select(Stock).join(Stock.sku).join(Sku.product).join(Stock.warehouse)
             .options(contains_eager(Stock.sku).contains_eager(Sku.product), contains_eager(Stock.warehouse)))
    query = access.scoped(query, Stock, "read")
    if q:
        pattern = f"%{q}%"
        query = query.where(or_(Sku.code.ilike(pattern), Product.title_en.ilike(pattern),
                                Product.title_zh.ilike(pattern)))
    if warehouse_id is not None:
        query = query.where(Stock.warehouse_id == warehouse_id)
    if low_only:
        free = Stock.on_hand - Stock.locked - Stock.damaged - Stock.quality_hold
        query = query.join(SkuPolicy, SkuPolicy.sku_id == Stock.sku_id).where(
            SkuPolicy.low_stock_threshold > 0, free <= SkuPolicy.low_stock_threshold)
    return query.order_by(Sku.code, Warehouse.code, Stock.id)


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
        q = (request.args.get("q") or "").strip()
        warehouse_id = _int_or_none(request.args.get("warehouse"))
        low_only = request.args.get("low") == "1"
        page = paginate(stock_query(q, warehouse_id, low_only), request.args.get("page"), PER_PAGE, count=False)
        warehouses = db.session.execute(access.scoped(select(Warehouse), Warehouse, "read")
                                        .order_by(Warehouse.code)).scalars().all()
        return self.render("inventory/stock.html", page=page, q=q, warehouse_id=warehouse_id, low_only=low_only,
                           warehouses=warehouses, can_adjust=self.can("write", ADJUST))

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
        """Run the service and commit; on a business error roll back and show
        the message in the row, answered 200 so HTMX swaps it in."""
        error = None
        try:
            call()
            db.session.commit()
        except InventoryError as exc:
            db.session.rollback()
            error = str(exc)
        if request.headers.get("HX-Request") != "true":
            flash(error or gettext("Saved."), "error" if error else "success")
            return redirect(url_for(".index"))
        row = db.session.execute(stock_query().where(Stock.id == row.id)
                                 .execution_options(populate_existing=True)).scalar_one()
        return self.render("inventory/_stock_row.html", row=row, error=error, action=action, can_adjust=True,
                           partial="inventory/_stock_row.html")
