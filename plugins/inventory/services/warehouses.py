"""Warehouses: create and change them, with the regions they ship to."""
import re

from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Merchant

from ..models import Warehouse, WarehouseRegion
from .core import audit, guard
from .errors import DuplicateWarehouse, InvalidQuantity, InvalidRegion, UnknownWarehouse

REGION = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")


def clean_regions(regions):
    """``"cn, us-ca"`` or a list -> sorted unique upper-case codes; ``InvalidRegion`` naming a bad one."""
    if isinstance(regions, str):
        regions = re.split(r"[\s,;]+", regions)
    codes = set()
    for raw in regions or ():
        code = (raw or "").strip().upper()
        if not code:
            continue
        if not REGION.match(code):
            raise InvalidRegion(raw)
        codes.add(code)
    return sorted(codes)


def _clean(data):
    code = (data.get("code") or "").strip().upper()
    name = (data.get("name") or "").strip()
    if not code or len(code) > 32:
        raise InvalidQuantity("code", code)
    if not name:
        raise InvalidQuantity("name", name)
    try:
        priority = int(str(data.get("priority", 100)).strip())
    except ValueError:
        raise InvalidQuantity("priority", data.get("priority")) from None
    return code, name, priority


def create_warehouse(actor, merchant_id, data):
    """A warehouse of ``merchant_id`` (None: platform-run) from ``data``: code,
    name, address, regions, priority (smaller first), active."""
    guard(actor, "inventory.warehouse", "write")
    if actor is not None and actor.merchant_id is not None and actor.merchant_id != merchant_id:
        raise UnknownWarehouse(data.get("code"), _("it belongs to another merchant"))
    code, name, priority = _clean(data)
    regions = clean_regions(data.get("regions", ()))
    if merchant_id is not None and db.session.get(Merchant, merchant_id) is None:
        raise UnknownWarehouse(code, _("its merchant does not exist"))
    if db.session.execute(select(func.count()).where(Warehouse.code == code)).scalar():
        raise DuplicateWarehouse(code)
    warehouse = Warehouse(merchant_id=merchant_id, code=code, name=name, address=(data.get("address") or "").strip(),
                          priority=priority, active=bool(data.get("active", True)),
                          regions=[WarehouseRegion(region=r) for r in regions])
    with db.session.begin_nested():
        db.session.add(warehouse)
        db.session.flush()
        audit("warehouse.create", actor, merchant_id, f"warehouse {warehouse.id}", code=code, regions=regions)
    return warehouse


def update_warehouse(actor, warehouse_id, data):
    """Change a warehouse's name, address, regions, priority or active flag."""
    guard(actor, "inventory.warehouse", "write")
    warehouse = db.session.get(Warehouse, warehouse_id)
    if warehouse is None or (actor is not None and actor.merchant_id is not None
                             and warehouse.merchant_id != actor.merchant_id):
        raise UnknownWarehouse(warehouse_id, _("it does not exist"))
    _code, name, priority = _clean({**data, "code": warehouse.code})
    regions = clean_regions(data.get("regions", warehouse.region_codes))
    with db.session.begin_nested():
        warehouse.name, warehouse.priority = name, priority
        warehouse.address = (data.get("address", warehouse.address) or "").strip()
        warehouse.active = bool(data.get("active", warehouse.active))
        warehouse.regions = [WarehouseRegion(region=r) for r in regions]
        db.session.flush()
        audit("warehouse.update", actor, warehouse.merchant_id, f"warehouse {warehouse.id}", name=name,
              priority=priority, regions=regions, active=warehouse.active)
    return warehouse
