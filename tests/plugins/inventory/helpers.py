"""Helpers for the inventory tests: SKU and warehouse makers, counts."""
import itertools

from sqlalchemy import func, select

from plugins.catalog.models import Category, Product, Sku
from plugins.inventory.models import StockLedger
from plugins.inventory.services import create_warehouse
from portal.models import AuditLog

_codes = itertools.count(1)


def make_sku(db, merchant, code=None):
    """A SKU (and its product) of ``merchant``."""
    category = db.session.execute(select(Category).limit(1)).scalar() or Category(name_en="Things")
    product = Product(merchant_id=merchant.id, category=category, title_en="Thing")
    sku = Sku(product=product, merchant_id=merchant.id, code=code or f"SKU{next(_codes)}", price="10.00",
              currency="CNY")
    db.session.add(sku)
    db.session.flush()
    return sku


def make_warehouse(merchant_id, code, regions=("CN",), priority=100, actor=None):
    """A warehouse through the service."""
    return create_warehouse(actor, merchant_id, {"code": code, "name": f"Warehouse {code}", "regions": regions,
                                                 "priority": priority, "address": "1 Dock Road"})


def ledger_count(db):
    return db.session.execute(select(func.count()).select_from(StockLedger)).scalar()


def audit_actions(db):
    return db.session.execute(select(AuditLog.action).where(AuditLog.plugin == "inventory")
                              .order_by(AuditLog.id)).scalars().all()
