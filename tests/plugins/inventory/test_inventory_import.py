"""Stock count import: the service (every row's problem named with its row,
nothing changed when one row is wrong, all rows or none at apply time, another
merchant's SKUs unknown, the warehouse scope) and the pages (upload, preview
with the differences, confirm, the file checks, permissions)."""
import io
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from plugins.inventory.models import Stock, StockLedger
from plugins.inventory.services import imports, increase, lock, update_warehouse
from portal import access
from portal.models import AuditLog, DataGrant, Role, RoleGrant, StoredFile
from tests.conftest import create_user
from tests.plugins.inventory.helpers import audit_actions, ledger_count


def csv_bytes(rows, header=("sku", "warehouse", "counted", "reason"), bom=False):
    lines = [",".join(header)] + [",".join(str(c) for c in row) for row in rows]
    return (b"\xef\xbb\xbf" if bom else b"") + ("\r\n".join(lines) + "\r\n").encode("utf-8")


def upload(actor, data, name="counts.csv", merchant_id=None):
    return imports.store_count_file(actor, FileStorage(io.BytesIO(data), filename=name), merchant_id)


def on_hand(db, sku, warehouse):
    return db.session.execute(select(Stock.on_hand).where(Stock.sku_id == sku.id, Stock.warehouse_id == warehouse.id)
                              .execution_options(populate_existing=True)).scalar()


@pytest.fixture()
def staff(shop):
    return create_user("merchant_staff", shop.m)


@pytest.fixture()
def stocked(shop):
    increase(None, shop.a.id, shop.sh.id, 10, "GRN-1")
    increase(None, shop.b.id, shop.sh.id, 4, "GRN-2")
    increase(None, shop.x.id, shop.far.id, 7, "GRN-3")
    return shop


# -- the service ------------------------------------------------------------------------

def test_the_check_gives_each_row_its_on_hand_count_and_difference(db, staff, stocked):
    shop = stocked
    before = ledger_count(db)
    plan = imports.check_counts(staff, upload(staff, csv_bytes([
        (shop.a.code, shop.sh.code, 12, "aisle 3"), (shop.b.code, shop.sh.code.lower(), 1, ""),
        (shop.a.code, shop.gz.code, 5, "")])))
    assert plan.issues == []
    assert [(r.line, r.on_hand, r.counted, r.difference, r.reason) for r in plan.rows] == [
        (2, 10, 12, 2, "aisle 3"), (3, 4, 1, -3, "CSV stocktake"), (4, 0, 5, 5, "CSV stocktake")]
    assert (plan.units_added, plan.units_removed) == (7, 3)
    assert ledger_count(db) == before and on_hand(db, shop.a, shop.sh) == 10, "a check writes nothing"


def test_every_row_error_is_named_with_its_row_and_nothing_is_applied(db, staff, stocked):
    shop = stocked
    lock(None, shop.a.id, shop.sh.id, 6, "ORD-9")
    update_warehouse(None, shop.gz.id, {"name": "Guangzhou", "active": False})
    stored = upload(staff, csv_bytes([
        (shop.b.code, shop.sh.code, 3, "fine"),          # 2: no problem, yet not applied
        ("NOPE-1", shop.sh.code, 1, ""),                 # 3
        (shop.x.code, shop.far.code, 1, ""),             # 4: another merchant's SKU and warehouse
        (shop.b.code, shop.gz.code, 1, ""),              # 5: inactive
        (shop.b.code, shop.hub.code, "ten", ""),         # 6
        (shop.a.code, shop.hub.code, -3, ""),            # 7
        (shop.a.code, shop.sh.code, 5, ""),              # 8: 6 are locked
        (shop.b.code, shop.sh.code, 2, ""),              # 9: again row 2's SKU and warehouse
        ("", shop.sh.code, "", "")]))                    # 10
    plan = imports.check_counts(staff, stored)
    assert [str(issue) for issue in plan.issues] == [
        "Row 3, column sku: unknown SKU NOPE-1.",
        f"Row 4, column sku: unknown SKU {shop.x.code}.",
        f"Row 4, column warehouse: unknown warehouse {shop.far.code}.",
        f"Row 5, column warehouse: warehouse {shop.gz.code} is inactive; activate it or count another warehouse.",
        "Row 6, column counted: ten is not a whole number; enter the units counted (0 or more).",
        "Row 7, column counted: -3 is negative; enter the units counted (0 or more).",
        "Row 8, column counted: the count 5 is below the 6 units locked, damaged or on hold; release or move "
        "them first.",
        f"Row 9: SKU {shop.b.code} in warehouse {shop.sh.code} is also on row 2; give each SKU and warehouse once.",
        "Row 10, column sku: enter the SKU code.",
        "Row 10, column counted: enter the units counted (a whole number, 0 or more).",
    ]
    before = ledger_count(db)
    with pytest.raises(imports.ImportFailed, match="10 problem"):
        imports.apply_counts(staff, stored)
    assert ledger_count(db) == before and on_hand(db, shop.b, shop.sh) == 4


def test_missing_columns_are_named(db, staff, stocked):
    plan = imports.check_counts(staff, upload(staff, csv_bytes([(stocked.a.code, 3)], header=("SKU", "qty"))))
    assert [str(i) for i in plan.issues] == [
        "Row 1: missing column(s): warehouse, counted. The first row must name the columns sku, warehouse and "
        "counted (reason is optional)."]
    assert "The column qty is not read." in plan.warnings


def test_a_clean_file_is_applied_in_full_with_one_audit_row(db, staff, stocked):
    shop = stocked
    stored = upload(staff, csv_bytes([(shop.a.code, shop.sh.code, 12, "aisle 3"), (shop.b.code, shop.sh.code, 0, ""),
                                      (shop.a.code, shop.hub.code, 5, "")]))
    plan = imports.apply_counts(staff, stored, as_of=imports.check_counts(staff, stored).as_of)
    assert len(plan.rows) == 3
    assert (on_hand(db, shop.a, shop.sh), on_hand(db, shop.b, shop.sh), on_hand(db, shop.a, shop.hub)) == (12, 0, 5)
    notes = db.session.execute(select(StockLedger.note, StockLedger.delta).where(StockLedger.reason == "stocktake")
                               .order_by(StockLedger.id)).all()
    assert notes == [("aisle 3", 2), ("CSV stocktake", -4), ("CSV stocktake", 5)]
    actions = audit_actions(db)
    assert actions.count("inventory.adjust") == 3 and actions.count("inventory.import") == 1
    summary = db.session.execute(select(AuditLog.summary).where(AuditLog.action == "inventory.import")).scalar()
    assert '"added": 7' in summary and '"removed": 4' in summary and '"rows": 3' in summary


def test_a_row_refused_at_apply_time_undoes_every_row(db, staff, stocked, monkeypatch):
    shop = stocked
    stored = upload(staff, csv_bytes([(shop.a.code, shop.sh.code, 20, ""), (shop.b.code, shop.hub.code, 9, ""),
                                      (shop.b.code, shop.sh.code, 1, "")]))
    real_adjust = imports.adjust

    def adjust_while_an_order_locks(actor, sku_id, warehouse_id, counted, reason):
        if (sku_id, warehouse_id) == (shop.b.id, shop.sh.id):
            lock(None, shop.b.id, shop.sh.id, 3, "ORD-LATE")  # an order comes in after the check
        return real_adjust(actor, sku_id, warehouse_id, counted, reason)

    monkeypatch.setattr(imports, "adjust", adjust_while_an_order_locks)
    before = ledger_count(db)
    with pytest.raises(imports.ImportFailed) as failed:
        imports.apply_counts(staff, stored)
    assert [str(i) for i in failed.value.plan.issues] == [
        "Row 4, column counted: the count 1 is below the 3 units locked, damaged or on hold; release or move them "
        "first."]
    # the caller rolls back; inside, the savepoint already undid rows 2 and 3 and the late lock
    assert (on_hand(db, shop.a, shop.sh), on_hand(db, shop.b, shop.hub) or 0) == (10, 0)
    assert ledger_count(db) == before
    assert "inventory.import" not in audit_actions(db)


def test_another_merchants_sku_is_unknown_even_to_its_code(db, stocked):
    shop = stocked
    theirs = create_user("merchant_admin", shop.other)
    plan = imports.check_counts(theirs, upload(theirs, csv_bytes([(shop.a.code, shop.hub.code, 1, ""),
                                                                 (shop.x.code, shop.far.code, 8, "")])))
    assert [str(i) for i in plan.issues] == [f"Row 2, column sku: unknown SKU {shop.a.code}."]
    # platform staff count one merchant at a time: the other merchant's SKU is unknown there too
    operator = create_user("platform_operator")
    plan = imports.check_counts(operator, upload(operator, csv_bytes([(shop.x.code, shop.far.code, 8, "")]),
                                                 merchant_id=shop.m.id))
    assert [str(i) for i in plan.issues] == [f"Row 2, column sku: unknown SKU {shop.x.code}.",
                                             f"Row 2, column warehouse: unknown warehouse {shop.far.code}."]


def test_the_warehouse_scope_is_respected(db, stocked):
    shop = stocked
    role = Role(name="Shanghai counter", kind="merchant", merchant_id=shop.m.id)
    role.grants = [RoleGrant(resource="inventory.adjust", level=access.WRITE),
                   RoleGrant(resource="inventory.stock", level=access.READ)]
    role.data_grants = [DataGrant(scope="merchant", value="@own", level=access.WRITE),
                        DataGrant(scope="warehouse", value=str(shop.sh.id), level=access.WRITE),
                        DataGrant(scope="warehouse", value=str(shop.gz.id), level=access.READ)]
    db.session.add(role)
    db.session.flush()
    counter = create_user(role, shop.m)
    plan = imports.check_counts(counter, upload(counter, csv_bytes([
        (shop.a.code, shop.sh.code, 11, ""), (shop.a.code, shop.gz.code, 1, ""), (shop.a.code, shop.hub.code, 1, "")])))
    assert [str(i) for i in plan.issues] == [
        f"Row 3, column warehouse: you cannot change stock in warehouse {shop.gz.code}.",
        f"Row 4, column warehouse: unknown warehouse {shop.hub.code}."]


def test_a_bom_and_an_xlsx_file_read_the_same(db, staff, stocked):
    rows = [(stocked.a.code, stocked.sh.code, 12, "aisle 3")]
    with_bom = imports.check_counts(staff, upload(staff, csv_bytes(rows, bom=True)))
    book = Workbook()
    book.active.append(["SKU", "Warehouse", "Counted", "Reason"])
    book.active.append([stocked.a.code, stocked.sh.code, 12, "aisle 3"])
    out = io.BytesIO()
    book.save(out)
    from_xlsx = imports.check_counts(staff, upload(staff, out.getvalue(), name="counts.xlsx"))
    for plan in (with_bom, from_xlsx):
        assert plan.issues == [] and [(r.sku_code, r.difference) for r in plan.rows] == [(stocked.a.code, 2)]


@pytest.mark.parametrize("data, message", [
    (b"", "counts.csv is empty; its first row must name the columns"),
    (b"\xef\xbb\xbf\r\n\r\n", "counts.csv is empty; its first row must name the columns"),
    ("sku,warehouse,counted\nTASSE-1,SH,3 Stück\n".encode("latin-1"), "counts.csv is not UTF-8 text"),
    (b"\x00\x01\x02binary\x00", "counts.csv is not a CSV file"),
])
def test_unreadable_files_are_refused_with_a_clear_message(db, staff, data, message):
    with pytest.raises(imports.ImportRefused, match=re.escape(message)):
        upload(staff, data)
    assert db.session.execute(select(func.count()).select_from(StoredFile)).scalar() == 0


def test_a_file_without_a_header_or_rows_is_refused(db, staff, stocked):
    headless = upload(staff, csv_bytes([(stocked.b.code, stocked.sh.code, 2, "")],
                                       header=(stocked.a.code, stocked.sh.code, "3", "")))
    with pytest.raises(imports.ImportRefused, match="The first row must name the columns sku, warehouse, counted "
                                                    "and reason; it reads"):
        imports.check_counts(staff, headless)
    with pytest.raises(imports.ImportRefused, match="has no rows below its header"):
        imports.check_counts(staff, upload(staff, csv_bytes([])))


# -- the pages --------------------------------------------------------------------------

def post_file(client, data, name="counts.csv", **form):
    return client.post("/inventory/import/", data={"file": (io.BytesIO(data), name), **form},
                       content_type="multipart/form-data")


def test_upload_preview_and_confirm(db, client, login_as, stocked):
    shop = stocked
    login_as("merchant_staff", shop.m)
    page = client.get("/inventory/import/").get_data(as_text=True)
    assert 'data-testid="import-columns"' in page and "counted" in page and 'name="merchant_id"' not in page
    r = post_file(client, csv_bytes([(shop.a.code, shop.sh.code, 12, "aisle 3"), (shop.b.code, shop.sh.code, 1, "")]))
    assert r.status_code == 302
    preview = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Ready: 2 row(s), 2 of them change the on-hand figure (2 unit(s) added, 3 removed)." in preview
    row = preview[preview.index('data-testid="import-row-2"'):preview.index('data-testid="import-row-3"')]
    assert '"on-hand">10<' in row and '"counted">12<' in row and "+2" in row
    assert 'text-danger">-3<' in preview
    assert on_hand(db, shop.a, shop.sh) == 10, "the preview writes nothing"
    as_of = re.search(r'name="as_of" value="(\d+)"', preview).group(1)
    done = client.post(r.headers["Location"], data={"as_of": as_of}, follow_redirects=True)
    assert ("Counts from counts.csv saved: 2 row(s), 2 changed (2 unit(s) added, 3 removed)."
            in done.get_data(as_text=True))
    assert (on_hand(db, shop.a, shop.sh), on_hand(db, shop.b, shop.sh)) == (12, 1)


def test_the_preview_lists_the_problems_and_offers_no_confirm(db, client, login_as, stocked):
    shop = stocked
    login_as("merchant_admin", shop.m)
    r = post_file(client, csv_bytes([(shop.a.code, shop.sh.code, 12, ""), (shop.x.code, shop.sh.code, 1, "")]))
    preview = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "1 problem; nothing can be saved until it is corrected." in preview
    assert f"<td>3</td><td class=\"text-monospace\">sku</td><td>unknown SKU {shop.x.code}.</td>" in preview
    assert 'data-testid="import-confirm"' not in preview
    again = client.post(r.headers["Location"], data={"as_of": "0"})
    assert again.status_code == 400 and on_hand(db, shop.a, shop.sh) == 10


def test_stock_changed_since_the_preview_is_refused_naming_the_row(db, client, login_as, stocked):
    shop = stocked
    login_as("merchant_staff", shop.m)
    r = post_file(client, csv_bytes([(shop.a.code, shop.sh.code, 12, ""), (shop.b.code, shop.sh.code, 1, "")]))
    preview = client.get(r.headers["Location"]).get_data(as_text=True)
    as_of = re.search(r'name="as_of" value="(\d+)"', preview).group(1)
    increase(None, shop.b.id, shop.sh.id, 6, "GRN-LATE")  # goods arrive while the user reads the preview
    db.session.commit()
    again = client.post(r.headers["Location"], data={"as_of": as_of})
    text = again.get_data(as_text=True)
    assert again.status_code == 400
    assert (f"<td>3</td><td class=\"text-monospace\">—</td><td>the stock of SKU {shop.b.code} in warehouse "
            f"{shop.sh.code} changed since the preview (on hand now 10)") in text
    assert (on_hand(db, shop.a, shop.sh), on_hand(db, shop.b, shop.sh)) == (10, 10)


def test_files_the_page_refuses(db, client, login_as, stocked, monkeypatch):
    login_as("merchant_staff", stocked.m)
    r = post_file(client, b"")
    assert r.status_code == 400 and "counts.csv is empty" in r.get_data(as_text=True)
    r = post_file(client, b"%PDF-1.7 not a sheet", name="counts.pdf")
    assert r.status_code == 400 and "is not an allowed type" in r.get_data(as_text=True)
    monkeypatch.setattr(imports, "MAX_BYTES", 1024)
    r = post_file(client, csv_bytes([(stocked.a.code, stocked.sh.code, 1, "x" * 40)] * 40), name="big.csv")
    assert r.status_code == 400 and ("big.csv is larger than 1 KB, the limit for one count import; split it into "
                                     "smaller files.") in r.get_data(as_text=True)
    r = post_file(client, b"sku,warehouse,counted\n" + b"A,B,1\n" * 200_000, name="huge.csv")
    assert r.status_code == 413 and "the limit for one count import" in r.get_data(as_text=True)
    assert db.session.execute(select(func.count()).select_from(StoredFile)).scalar() == 0


def test_platform_staff_choose_the_merchant(db, client, login_as, stocked):
    shop = stocked
    login_as("platform_operator")
    assert 'name="merchant_id"' in client.get("/inventory/import/").get_data(as_text=True)
    data = csv_bytes([(shop.a.code, shop.hub.code, 2, "")])
    r = post_file(client, data)
    assert r.status_code == 400 and "choose the merchant whose stock was counted" in r.get_data(as_text=True)
    r = post_file(client, data, merchant_id=str(shop.m.id))
    preview = client.get(r.headers["Location"]).get_data(as_text=True)
    assert 'data-testid="import-ready"' in preview and shop.m.code in preview


def test_permissions_and_other_users_files(db, client, login_as, login, stocked):
    shop = stocked
    login_as("finance")
    assert client.get("/inventory/import/").status_code == 403
    assert 'data-testid="import-counts"' not in client.get("/inventory/stock/").get_data(as_text=True)
    assert post_file(client, csv_bytes([(shop.a.code, shop.sh.code, 1, "")])).status_code == 403
    login_as("merchant_staff", shop.m)
    assert 'data-testid="import-counts"' in client.get("/inventory/stock/").get_data(as_text=True)
    location = post_file(client, csv_bytes([(shop.a.code, shop.sh.code, 1, "")])).headers["Location"]
    login(create_user("merchant_admin", shop.other))
    assert client.get(location).status_code == 404
    assert client.post(location, data={"as_of": "0"}).status_code == 404
    login(create_user("merchant_admin", shop.m))  # the same merchant, yet not the user who uploaded it
    assert client.get(location).status_code == 404
    assert on_hand(db, shop.a, shop.sh) == 10


def test_the_import_answers_404_while_the_plugin_is_off(db, client, login_as, stocked):
    from portal.plugins import kernel
    login_as("platform_admin")
    assert "/inventory/import/" in client.get("/").get_data(as_text=True)
    kernel().set_enabled("inventory", False)
    db.session.flush()
    try:
        assert client.get("/inventory/import/").status_code == 404
        assert "/inventory/import/" not in client.get("/").get_data(as_text=True)
    finally:
        kernel().set_enabled("inventory", True)
