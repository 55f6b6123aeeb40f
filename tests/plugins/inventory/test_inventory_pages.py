"""The inventory's pages through the client: warehouses and stock for platform
and merchant staff, the HTMX stock forms, another merchant's records (404),
the built-in roles' warehouse grants, and the plugin switched off."""
from sqlalchemy import select

from plugins.inventory.models import Stock, StockLedger, Warehouse
from plugins.inventory.services import increase, lock
from portal import access
from portal.models import DataGrant, Role
from portal.plugins import kernel
from tests.plugins.inventory.helpers import audit_actions

HX = {"HX-Request": "true"}


def _row(db, sku, warehouse):
    return db.session.execute(select(Stock).where(Stock.sku_id == sku.id, Stock.warehouse_id == warehouse.id)
                              .execution_options(populate_existing=True)).scalar_one()


def test_builtin_roles_get_the_default_warehouse_grant(db):
    for key, level in (("merchant_admin", access.MANAGE), ("merchant_staff", access.WRITE),
                       ("platform_operator", access.WRITE), ("finance", access.READ)):
        role = db.session.execute(select(Role).where(Role.builtin == key)).scalar_one()
        grants = [(g.value, g.level) for g in role.data_grants if g.scope == "warehouse"]
        assert grants == [("*", level)], key


def test_sync_keeps_an_edited_warehouse_grant(db):
    role = db.session.execute(select(Role).where(Role.builtin == "merchant_staff")).scalar_one()
    grant = next(g for g in role.data_grants if g.scope == "warehouse")
    grant.level = access.READ
    db.session.flush()
    access.sync_builtin_roles()
    assert [g.level for g in db.session.execute(select(DataGrant).where(
        DataGrant.role_id == role.id, DataGrant.scope == "warehouse")).scalars()] == [access.READ]


def test_platform_admin_lists_every_warehouse_and_searches(client, login_as, shop):
    login_as("platform_admin")
    page = client.get("/inventory/warehouses/").get_data(as_text=True)
    assert all(w.code in page for w in (shop.sh, shop.gz, shop.hub, shop.far))
    found = client.get(f"/inventory/warehouses/?q={shop.gz.code.lower()}").get_data(as_text=True)
    assert shop.gz.code in found and shop.sh.code not in found
    assert "No warehouse matches" in client.get("/inventory/warehouses/?q=nothing-like-it").get_data(as_text=True)


def test_platform_admin_creates_a_warehouse_for_a_merchant(db, client, login_as, shop):
    login_as("platform_admin")
    response = client.post("/inventory/warehouses/new", data={
        "merchant_id": shop.other.id, "code": "nb1", "name": "Ningbo", "regions": "cn-zj, cn-sh",
        "priority": "7", "active": "1", "address": "9 Port Road"})
    assert response.status_code == 302
    made = db.session.execute(select(Warehouse).where(Warehouse.code == "NB1")).scalar_one()
    assert (made.merchant_id, made.region_codes, made.priority, made.active) == (
        shop.other.id, ["CN-SH", "CN-ZJ"], 7, True)
    assert "inventory.warehouse.create" in audit_actions(db)


def test_warehouse_form_names_the_field_and_writes_nothing(db, client, login_as, shop):
    login_as("merchant_admin", merchant=shop.m)
    before = db.session.execute(select(Warehouse.id)).scalars().all()
    page = client.post("/inventory/warehouses/new", data={"code": "W9", "name": "W", "regions": "China"})
    assert page.status_code == 200 and 'data-testid="error-regions"' in page.get_data(as_text=True)
    page = client.post("/inventory/warehouses/new", data={"code": shop.sh.code, "name": "Again"})
    assert 'data-testid="error-code"' in page.get_data(as_text=True)
    page = client.post("/inventory/warehouses/new", data={"code": "W9", "name": "W", "priority": "first"})
    assert 'data-testid="error-priority"' in page.get_data(as_text=True)
    assert db.session.execute(select(Warehouse.id)).scalars().all() == before


def test_merchant_admin_sees_and_edits_only_own_warehouses(db, client, login_as, shop):
    login_as("merchant_admin", merchant=shop.m)
    page = client.get("/inventory/warehouses/").get_data(as_text=True)
    assert shop.sh.code in page and shop.gz.code in page
    assert shop.far.code not in page and shop.hub.code not in page
    assert client.get(f"/inventory/warehouses/{shop.far.id}").status_code == 404
    assert client.post(f"/inventory/warehouses/{shop.far.id}", data={"name": "Mine"}).status_code == 404
    assert client.get(f"/inventory/warehouses/{shop.hub.id}").status_code == 404
    response = client.post(f"/inventory/warehouses/{shop.gz.id}", data={
        "name": "Guangzhou", "regions": "CN-GD", "priority": "3"})
    assert response.status_code == 302
    db.session.refresh(shop.gz)
    assert (shop.gz.name, shop.gz.priority, shop.gz.active) == ("Guangzhou", 3, False)
    response = client.post("/inventory/warehouses/new", data={"merchant_id": shop.other.id, "code": "MINE1",
                                                             "name": "Mine", "active": "1"})
    assert response.status_code == 302
    assert db.session.execute(select(Warehouse.merchant_id).where(Warehouse.code == "MINE1")).scalar() == shop.m.id


def test_merchant_staff_read_warehouses_but_cannot_create(client, login_as, shop):
    login_as("merchant_staff", merchant=shop.m)
    page = client.get("/inventory/warehouses/").get_data(as_text=True)
    assert shop.sh.code in page and "New warehouse" not in page
    assert client.get("/inventory/warehouses/new").status_code == 403
    assert client.post(f"/inventory/warehouses/{shop.sh.id}", data={"name": "X"}).status_code == 403


def test_stock_list_filters_and_scope(db, client, login_as, shop):
    increase(None, shop.a.id, shop.sh.id, 5, "GRN1")
    increase(None, shop.b.id, shop.hub.id, 2, "GRN2")
    increase(None, shop.x.id, shop.far.id, 9, "GRN3")
    login_as("merchant_staff", merchant=shop.m)
    page = client.get("/inventory/stock/").get_data(as_text=True)
    assert shop.a.code in page and shop.b.code in page and shop.x.code not in page
    only_hub = client.get(f"/inventory/stock/?warehouse={shop.hub.id}").get_data(as_text=True)
    assert shop.b.code in only_hub and shop.a.code not in only_hub
    assert shop.b.code not in client.get(f"/inventory/stock/?q={shop.a.code}").get_data(as_text=True)
    assert client.get(f"/inventory/stock/{_row(db, shop.x, shop.far).id}/ledger").status_code == 404


def test_low_stock_filter(db, client, login_as, shop):
    from plugins.inventory.services import set_policy
    increase(None, shop.a.id, shop.sh.id, 2, "GRN")
    increase(None, shop.b.id, shop.sh.id, 50, "GRN")
    set_policy(None, shop.a.id, low_stock_threshold=5)
    set_policy(None, shop.b.id, low_stock_threshold=5)
    login_as("platform_admin")
    page = client.get("/inventory/stock/?low=1").get_data(as_text=True)
    assert shop.a.code in page and shop.b.code not in page


def test_receive_and_stocktake_through_htmx_change_the_row_and_ledger(db, client, login_as, shop):
    increase(None, shop.a.id, shop.sh.id, 5, "GRN1")
    row = _row(db, shop.a, shop.sh)
    login_as("merchant_staff", merchant=shop.m)
    response = client.post(f"/inventory/stock/{row.id}/receive", data={"qty": "4", "document": "DN-77"}, headers=HX)
    assert response.status_code == 200 and 'data-testid="on-hand">9<' in response.get_data(as_text=True)
    response = client.post(f"/inventory/stock/{row.id}/count", data={"counted": "7", "reason": "cycle count"},
                           headers=HX)
    assert 'data-testid="on-hand">7<' in response.get_data(as_text=True)
    assert _row(db, shop.a, shop.sh).on_hand == 7
    ledger = client.get(f"/inventory/stock/{row.id}/ledger").get_data(as_text=True)
    assert ledger.index("cycle count") < ledger.index("DN-77") < ledger.index("GRN1")
    assert db.session.execute(select(StockLedger.delta).where(StockLedger.sku_id == shop.a.id)
                              .order_by(StockLedger.id)).scalars().all() == [5, 4, -2]


def test_business_errors_show_in_the_row_and_write_nothing(db, client, login_as, shop):
    increase(None, shop.a.id, shop.sh.id, 5, "GRN1")
    lock(None, shop.a.id, shop.sh.id, 3, "ORD-1")
    row = _row(db, shop.a, shop.sh)
    login_as("merchant_admin", merchant=shop.m)
    response = client.post(f"/inventory/stock/{row.id}/count", data={"counted": "1", "reason": "lost"}, headers=HX)
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="row-error"' in text and "below the" in text
    response = client.post(f"/inventory/stock/{row.id}/receive", data={"qty": "-2", "document": "DN"}, headers=HX)
    assert 'data-testid="row-error"' in response.get_data(as_text=True)
    assert _row(db, shop.a, shop.sh).on_hand == 5


def test_other_merchants_stock_forms_answer_404(db, client, login_as, shop):
    increase(None, shop.x.id, shop.far.id, 9, "GRN")
    row = _row(db, shop.x, shop.far)
    login_as("merchant_staff", merchant=shop.m)
    assert client.post(f"/inventory/stock/{row.id}/receive", data={"qty": "1", "document": "D"},
                       headers=HX).status_code == 404
    assert _row(db, shop.x, shop.far).on_hand == 9


def test_finance_reads_stock_without_forms(db, client, login_as, shop):
    increase(None, shop.a.id, shop.sh.id, 5, "GRN1")
    login_as("finance")
    page = client.get("/inventory/stock/").get_data(as_text=True)
    assert shop.a.code in page and "Save count" not in page
    assert client.post(f"/inventory/stock/{_row(db, shop.a, shop.sh).id}/receive",
                       data={"qty": "1", "document": "D"}, headers=HX).status_code == 403


def test_switched_off_pages_answer_404_and_leave_the_menu(db, client, login_as, shop):
    login_as("platform_admin")
    assert "/inventory/stock/" in client.get("/").get_data(as_text=True)
    kernel().set_enabled("inventory", False)
    db.session.flush()
    try:
        for url in ("/inventory/stock/", "/inventory/warehouses/", f"/inventory/warehouses/{shop.sh.id}"):
            assert client.get(url).status_code == 404, url
        page = client.get("/").get_data(as_text=True)
        assert "/inventory/stock/" not in page and "/inventory/warehouses/" not in page
    finally:
        kernel().set_enabled("inventory", True)


def test_warehouse_grant_choices_stay_within_the_merchant(app, db, client, login_as, shop):
    login_as("merchant_admin", merchant=shop.m)
    with app.test_request_context():
        from flask_login import login_user
        from portal.models import User
        login_user(db.session.execute(select(User).where(User.merchant_id == shop.m.id)).scalars().first())
        values = {v for v, _ in access.registry().scopes["warehouse"].choices()}
    assert values == {str(shop.sh.id), str(shop.gz.id)}
    assert "*" in {v for v, _ in access.registry().scopes["warehouse"].choices()}  # no request: every choice
