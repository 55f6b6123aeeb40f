"""Exceptions: what the stock check finds in the user's scope, in plain words,
with a repair button where the inventory can repair (HTMX, confirmed,
audited by the service) and what a person must do where it cannot."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_login import current_user
from sqlalchemy import select

from plugins.catalog.models import Sku
from portal import access
from portal.extensions import db
from portal.views import PortalView

from ..models import Stock, StockLedger, StockLock, Warehouse
from ..services import InventoryError, check_stock, order_checks_available, repair as repair_anomaly
from ..services.check import EXPIRED_LOCK, ORPHAN_LOCK
from ..services.explain import action, advice, explanation, figures, title

RESOURCE = "inventory.stock"
ADJUST = "inventory.adjust"
# a database this broken needs its first repairs before more rows help
SHOWN = 500


def _scopes(anomaly):
    scopes = {"merchant": anomaly.merchant_id}
    if anomaly.warehouse_id is not None:  # an order line has no warehouse yet
        scopes["warehouse"] = anomaly.warehouse_id
    return scopes


def anomalies_in_scope():
    """What the check finds among the records the signed-in user may read."""
    user_access = access.access()
    merchants = user_access.values_at("merchant", access.READ)
    if current_user.merchant_id is not None:
        own = str(current_user.merchant_id)
        merchants = {own} if merchants is None or own in merchants else set()
    if merchants == set():
        return []
    return [a for a in check_stock(merchant_ids=merchants)
            if user_access.record_level(RESOURCE, _scopes(a)) >= access.READ]


def _codes(model, ids):
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, model.code).where(model.id.in_(ids))).all())


def _int_or_none(raw):
    try:
        return int(raw) if raw not in (None, "") else None
    except ValueError:
        abort(404)


class AnomaliesView(PortalView):
    resource = RESOURCE

    @expose("/")
    def index(self):
        """Every anomaly in the user's scope, explained, with its repair."""
        found = anomalies_in_scope()
        user_access = access.access()
        rows = [{"a": a, "title": title(a), "explanation": explanation(a), "figures": figures(a),
                 "action": action(a), "advice": advice(a),
                 "can_repair": user_access.record_level(ADJUST, _scopes(a)) >= access.MANAGE}
                for a in found[:SHOWN]]
        shown = [r["a"] for r in rows]
        return self.render("inventory/anomalies.html", rows=rows, total=len(found),
                           skus=_codes(Sku, [a.sku_id for a in shown]),
                           warehouses=_codes(Warehouse, [a.warehouse_id for a in shown]),
                           order_checks=order_checks_available())

    @expose("/repair", methods=["POST"])
    def repair(self):
        """HTMX: make one repair; the row comes back saying it is repaired, or why not."""
        access.require(ADJUST, "manage")
        form = request.form
        kind, state = form.get("kind", ""), form.get("state") or None
        sku_id, warehouse_id = _int_or_none(form.get("sku")), _int_or_none(form.get("warehouse"))
        lock_id = _int_or_none(form.get("lock"))
        if kind in (EXPIRED_LOCK, ORPHAN_LOCK):
            held = self._reach_lock(lock_id)
            sku_id, warehouse_id = held.sku_id, held.warehouse_id
        else:
            self._reach_row(sku_id, warehouse_id)
        error = message = None
        try:
            message = repair_anomaly(current_user._get_current_object(), kind, sku_id, warehouse_id, state,
                                     lock_id)
            db.session.commit()
        except InventoryError as exc:
            db.session.rollback()
            error = str(exc)
        if request.headers.get("HX-Request") != "true":
            flash(error or message, "error" if error else "success")
            return redirect(url_for(".index"))
        return self.render("inventory/_anomaly_result.html", key=form.get("key", ""), message=message, error=error,
                           sku=_codes(Sku, [sku_id]).get(sku_id, sku_id),
                           warehouse=_codes(Warehouse, [warehouse_id]).get(warehouse_id, warehouse_id),
                           partial="inventory/_anomaly_result.html")

    @staticmethod
    def _reach_lock(lock_id):
        """The reservation, 404 outside the user's scope, 403 below manage."""
        if lock_id is None:
            abort(404)
        return access.get_or_404(StockLock, lock_id, ADJUST, "manage")

    @staticmethod
    def _reach_row(sku_id, warehouse_id):
        """The same for a stock row, or for the ledger of a row that is gone."""
        if sku_id is None or warehouse_id is None:
            abort(404)
        where = {"sku_id": sku_id, "warehouse_id": warehouse_id}
        stock_id = db.session.execute(select(Stock.id).filter_by(**where)).scalar()
        if stock_id is not None:
            return access.get_or_404(Stock, stock_id, ADJUST, "manage")
        ledger_id = db.session.execute(select(StockLedger.id).filter_by(**where).limit(1)).scalar()
        if ledger_id is None:
            abort(404)
        return access.get_or_404(StockLedger, ledger_id, ADJUST, "manage")
