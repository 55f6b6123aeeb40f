"""An exchange's replacement shipment: once the buyer's goods are received
back, the same units of the same SKUs leave a warehouse the staff choose, the
stock reserved and deducted at once through the inventory, on a shipment of
the order that carries the case, a carrier and a tracking number. Settling
the case this way is refund work (``orders.refund`` write), like a refund;
the warehouse must be one the acting user may ship from."""
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import or_, select

from plugins.inventory.models import Warehouse
from plugins.inventory.services import deduct, lock
from portal import access
from portal.extensions import db

from ..models import CASE_EXCHANGED, CASE_RETURNED, EXCHANGE, SHIPMENT_SHIPPED, Shipment, ShipmentLine
from .after_sales import CaseStepRefused, _finish, _step
from .core import REFUND as REFUND_RESOURCE, now_or, reach, text
from .errors import InvalidField
from .machine import log

# the reservation lives only inside the transaction that deducts it; the expiry is a formality
REPLACEMENT_LOCK = timedelta(minutes=5)


def replacement_warehouses(order):
    """The warehouses a replacement for ``order`` may leave from: active, the
    order's merchant's own or run by the platform, by priority."""
    return db.session.execute(select(Warehouse).where(
        Warehouse.active.is_(True), or_(Warehouse.merchant_id.is_(None), Warehouse.merchant_id == order.merchant_id))
        .order_by(Warehouse.priority, Warehouse.code)).scalars().all()


def send_replacement(actor, case, warehouse_id, carrier, tracking_number, note="", now=None):
    """The exchange's replacement goes out once the goods are back: the units
    received back, of the same SKUs, are reserved in the chosen warehouse and
    deducted at once through the inventory (``InsufficientStock`` when it
    lacks them), on a shipment carrying the carrier and tracking number and
    the case (its packing slip is printed like any other). The order's
    history shows it; the case is exchanged and finishes. Returns the shipment."""
    order = case.order
    reach(actor, order, REFUND_RESOURCE, "write")
    if case.kind != EXCHANGE:
        raise CaseStepRefused(case, _("only an exchange sends a replacement."))
    _step(case, (CASE_RETURNED,), _("the replacement is sent once the goods are received back."))
    warehouse = _replacement_warehouse(actor, order, warehouse_id)
    carrier = text(carrier, _("carrier"), 64, required=True)
    tracking_number = text(tracking_number, _("tracking number"), 64, required=True)
    note = text(note, _("note"), 500)
    units = [(case_line.line, case_line.returned_qty) for case_line in case.lines if case_line.returned_qty]
    now = now_or(now)
    with db.session.begin_nested():
        shipment = Shipment(order_id=order.id, merchant_id=order.merchant_id, warehouse_id=warehouse.id,
                            status=SHIPMENT_SHIPPED, carrier=carrier, tracking_number=tracking_number,
                            shipped_at=now, created_at=now, case_id=case.id)
        db.session.add(shipment)
        for line, qty in units:
            # a reservation closed at once: the stock's ledger shows the units locked, then leaving
            held = lock(None, line.sku_id, warehouse.id, qty, order.number, str(line.id),
                        expires_at=now + REPLACEMENT_LOCK)
            shipment.lines.append(ShipmentLine(line_id=line.id, qty=qty, lock_id=held.id))
            deduct(None, held.id, document=f"{order.number} case {case.id}")
        case.status = CASE_EXCHANGED
        db.session.flush()
        told = _("Replacement for after-sales case %(id)s shipped from %(warehouse)s with %(carrier)s %(tracking)s.",
                 id=case.id, warehouse=warehouse.code, carrier=carrier, tracking=tracking_number)
        # the history row the page shows, and its audit row with what left
        log(actor, order, order.state, order.state, None, note=" ".join(filter(None, [told, note])), now=now,
            action="after_sales_replacement", case=case.id, shipment=shipment.id, warehouse=warehouse.code,
            carrier=carrier, tracking_number=tracking_number, lines={str(line.id): qty for line, qty in units})
        _finish(actor, case, _("After-sales case %(id)s exchanged.", id=case.id), now)
    return shipment


def _replacement_warehouse(actor, order, warehouse_id):
    """The chosen warehouse, if the replacement may leave from it and the acting user may ship from it."""
    chosen = str(warehouse_id or "").strip()
    warehouse = next((w for w in replacement_warehouses(order) if str(w.id) == chosen), None)
    if warehouse is None:
        raise InvalidField(_("warehouse"), _("choose the warehouse the replacement leaves from."))
    if actor is not None and access.access(actor).data_level("warehouse", warehouse.id) < access.WRITE:
        raise InvalidField(_("warehouse"), _("you may not ship from warehouse %(code)s.", code=warehouse.code))
    return warehouse
