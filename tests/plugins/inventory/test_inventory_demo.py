"""The demo stock: loaded by ``flask portal demo`` after the demo catalog,
every demo SKU stocked, four warehouses, low stock on the dashboard, live
reservations, a ledger that adds up, and nothing added by a second run."""
import re

from sqlalchemy import func, select

from plugins.catalog.models import Sku
from plugins.inventory import demo
from plugins.inventory.models import LIVE, SkuPolicy, Stock, StockLedger, StockLock, Warehouse
from plugins.inventory.services import check_stock, low_stock
from portal import demo as portal_demo
from portal.models import AuditLog, Merchant, User


def _count(db, model):
    return db.session.execute(select(func.count()).select_from(model)).scalar()


def _fingerprint(db):
    return (db.session.execute(select(Stock.sku_id, Stock.warehouse_id, Stock.on_hand, Stock.locked, Stock.damaged,
                                      Stock.quality_hold).order_by(Stock.sku_id, Stock.warehouse_id)).all(),
            _count(db, StockLedger), _count(db, StockLock), _count(db, Warehouse), _count(db, SkuPolicy),
            _count(db, AuditLog))


def test_the_demo_stock(db, client, login):
    lines = []
    assert portal_demo.load_demo(echo=lines.append)
    summary = next(line for line in lines if line.startswith("Inventory:"))
    assert lines.index(summary) > next(i for i, line in enumerate(lines) if line.startswith("Catalog:"))

    warehouses = db.session.execute(select(Warehouse).order_by(Warehouse.code)).scalars().all()
    assert len(warehouses) == 4 and all(w.active and w.region_codes for w in warehouses)
    merchants = {m.code: m.id for m in db.session.execute(select(Merchant)).scalars()}
    owners = sorted((w.code, w.merchant_id) for w in warehouses)
    assert owners == [("ACME-GZ", merchants["ACME"]), ("ACME-SH", merchants["ACME"]), ("CN-HUB", None),
                      ("PANDA-BJ", merchants["PANDA"])]

    sku_ids = set(db.session.execute(select(Sku.id)).scalars())
    stocked = set(db.session.execute(select(Stock.sku_id).where(Stock.on_hand > 0)).scalars())
    assert len(sku_ids) >= 800 and stocked == sku_ids
    # a SKU is held only where its merchant's goods may be: its own or the platform's warehouses
    foreign = db.session.execute(select(func.count()).select_from(Stock).join(Warehouse)
                                 .where(Warehouse.merchant_id.is_not(None),
                                        Warehouse.merchant_id != Stock.merchant_id)).scalar()
    assert foreign == 0
    receipts = db.session.execute(select(StockLedger.document).where(StockLedger.reason == "receipt")).scalars()
    assert all(re.fullmatch(r"DEMO-GRN-[A-Z-]+-0001", d) for d in receipts)

    live = db.session.execute(select(StockLock).where(StockLock.status == LIVE)).scalars().all()
    assert len(live) == demo.LOCKS and {lk.order_ref for lk in live} >= {"DEMO-ORDER-0001", "DEMO-ORDER-0008"}
    assert db.session.execute(select(func.count()).select_from(Stock).where(Stock.damaged > 0)).scalar() > 0
    assert len(low_stock()) >= 3
    assert check_stock() == []

    acme_admin = db.session.execute(select(User).where(User.email == "acme-admin@demo.test")).scalar_one()
    login(acme_admin, password=portal_demo.DEMO_PASSWORD)
    dashboard = client.get("/").get_data(as_text=True)
    card = dashboard[dashboard.index('data-testid="inventory-low-stock"'):]
    assert re.search(r"<td>ACME-[A-Z0-9-]+</td>", card[:card.index("</div>")])

    before = _fingerprint(db)
    again = []
    assert demo.load_demo(db.session.execute(select(Merchant)).scalars().all(), again.append) is None
    assert again == ["Inventory: the demo warehouses exist already; no demo stock was added."]
    assert _fingerprint(db) == before
