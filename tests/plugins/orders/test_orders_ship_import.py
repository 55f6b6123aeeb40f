"""Batch shipping from a file of tracking numbers: the service (each row's
state and outcome, every problem named with its row and column, nothing
shipped when one row is wrong, every row or none at apply time, another
merchant's order unknown) and the pages (upload, preview, confirm,
permissions, another user's file)."""
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from plugins.inventory.models import StockLock
from plugins.inventory.services import check_stock, release
from plugins.orders.models import Shipment
from plugins.orders.services import ship_import
from portal.models import AuditLog
from tests.conftest import create_user
from tests.plugins.orders.helpers import figures, order_in, place_one, state_of, switch

HEADER = ("order", "carrier", "tracking_number", "warehouse")


def csv_bytes(rows, header=HEADER):
    lines = [",".join(header)] + [",".join(str(c) for c in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def upload(actor, data, name="tracking.csv", merchant_id=None):
    return ship_import.store_ship_file(actor, FileStorage(io.BytesIO(data), filename=name), merchant_id)


def issues(plan):
    return [(i.line, i.column, i.message) for i in plan.issues]


def shipments_of(db, order):
    return db.session.execute(select(Shipment.status, Shipment.carrier, Shipment.tracking_number)
                              .where(Shipment.order_id == order.id).order_by(Shipment.id)
                              .execution_options(populate_existing=True)).all()


def batch_audits(db):
    return db.session.execute(select(func.count()).select_from(AuditLog)
                              .where(AuditLog.action == "orders.ship_import")).scalar()


@pytest.fixture()
def staff(store):
    return create_user("merchant_staff", store.m)


@pytest.fixture()
def split(store):
    """A paid order of 8 units of ``b``: 5 ship from ``sh``, 3 from ``hub``."""
    order = order_in(store, "pending_shipment", lines=[(store.b.id, 8)], region="CN-BJ")
    assert sorted(s.warehouse.code for s in order.shipments) == sorted([store.sh.code, store.hub.code])
    return order


# -- the service ------------------------------------------------------------------------

def test_the_check_gives_each_row_its_state_and_what_it_will_do(db, store, staff, split):
    s = store
    single = order_in(s, "pending_shipment")
    plan = ship_import.check_shipments(staff, upload(staff, csv_bytes([
        (single.number.lower(), "SF Express", "SF001", ""),
        (split.number, "ZTO", "ZT001", s.sh.code.lower()),
        (split.number, "ZTO", "ZT002", s.hub.code)])))
    assert issues(plan) == []
    assert [(r.line, r.state, r.outcome) for r in plan.rows] == [
        (2, "pending shipment", f"Ships from {s.sh.code}; the order becomes pending receipt."),
        (3, "pending shipment", f"Ships from {s.sh.code}; 1 shipment(s) of the order stay pending."),
        (4, "pending shipment", f"Ships from {s.hub.code}; the order becomes pending receipt.")]
    assert (len(plan.orders), plan.shipment_count, plan.completed) == (2, 3, 2)
    assert state_of(db, single) == "pending_shipment", "a check ships nothing"


def test_every_problem_is_named_with_its_row_and_column_and_nothing_is_shipped(db, store, staff, split):
    s = store
    good = order_in(s, "pending_shipment")
    unpaid = place_one(s, [(s.a.id, 1)])
    theirs = order_in(s, "pending_shipment", lines=[(s.x.id, 1)])
    shipped = order_in(s, "pending_receipt")
    stored = upload(staff, csv_bytes([
        (good.number, "SF Express", "SF001", ""),                 # 2: fine
        ("O-NOPE", "SF Express", "SF002", ""),                    # 3
        (theirs.number, "SF Express", "SF003", ""),               # 4
        (unpaid.number, "SF Express", "SF004", ""),               # 5
        (shipped.number, "SF Express", "SF005", ""),              # 6
        (split.number, "", "", s.sh.code),                        # 7
        (split.number, "ZTO", "Z" * 65, s.hub.code),              # 8
        (good.number, "SF Express", "SF009", ""),                 # 9: again
        (split.number, "ZTO", "ZT010", s.gz.code),                # 10: gz ships nothing of it
        ("", "ZTO", "ZT011", "")]))                               # 11
    plan = ship_import.check_shipments(staff, stored)
    assert issues(plan) == [
        (3, "order", "unknown order O-NOPE."),
        (4, "order", f"unknown order {theirs.number}."),
        (5, "order", f"order {unpaid.number} is pending payment; only orders pending shipment can be shipped."),
        (6, "order", f"order {shipped.number} is pending receipt; only orders pending shipment can be shipped."),
        (7, "carrier", "enter the carrier."),
        (7, "tracking_number", "enter the tracking number."),
        (8, "tracking_number", "ZZZZZZZZZZZZZZZZZZZZ… is longer than 64 characters."),
        (9, "order", f"order {good.number} (every warehouse) is also on row 2; give each order and warehouse once."),
        (10, "warehouse", f"order {split.number} has no pending shipment from warehouse {s.gz.code}."),
        (11, "order", "enter the order number.")]
    assert plan.rows[0].ok and not any(r.ok for r in plan.rows[1:])
    with pytest.raises(ship_import.ImportFailed, match="10 problem"):
        ship_import.apply_shipments(staff, stored)
    assert state_of(db, good) == "pending_shipment" and shipments_of(db, good) == [("pending", "", "")]
    assert state_of(db, theirs) == "pending_shipment" and batch_audits(db) == 0


def test_a_clean_file_ships_every_row_deducts_stock_and_writes_one_batch_audit_row(db, store, staff, split):
    s = store
    single = order_in(s, "pending_shipment", lines=[(s.a.id, 3)])
    assert figures(db, s.a, s.sh) == (10, 3) and figures(db, s.b, s.hub) == (5, 3)
    stored = upload(staff, csv_bytes([
        (single.number, "SF Express", "SF100", ""),
        (split.number, "ZTO", "ZT200", s.sh.code),
        (split.number, "YTO", "YT300", s.hub.code)]))
    plan = ship_import.apply_shipments(staff, stored)
    db.session.commit()
    assert plan.completed == 2
    assert (state_of(db, single), state_of(db, split)) == ("pending_receipt", "pending_receipt")
    assert shipments_of(db, single) == [("shipped", "SF Express", "SF100")]
    assert sorted(shipments_of(db, split)) == [("shipped", "YTO", "YT300"), ("shipped", "ZTO", "ZT200")]
    # on hand falls by what left, nothing stays reserved for these orders
    assert figures(db, s.a, s.sh) == (7, 0)
    assert figures(db, s.b, s.sh) == (0, 0) and figures(db, s.b, s.hub) == (2, 0)
    assert check_stock() == []
    assert batch_audits(db) == 1


def test_a_row_refused_at_apply_time_undoes_every_row_and_is_named(db, store, staff):
    s = store
    first = order_in(s, "pending_shipment", lines=[(s.a.id, 2)])
    second = order_in(s, "pending_shipment", lines=[(s.a.id, 1)])
    stored = upload(staff, csv_bytes([(first.number, "SF Express", "SF1", ""),
                                      (second.number, "SF Express", "SF2", "")]))
    assert ship_import.check_shipments(staff, stored).issues == []
    # the second order's reservation is released after the preview: shipping it is refused then
    release(None, db.session.execute(select(StockLock.id).where(StockLock.order_ref == second.number)).scalar())
    with pytest.raises(ship_import.ImportFailed) as failed:
        ship_import.apply_shipments(staff, stored)
    assert [(i.line, i.column) for i in failed.value.plan.issues] == [(3, "")]
    assert "0 of 1 units reserved" in failed.value.plan.issues[0].message
    # no rollback here: the import's own savepoint has undone the first row
    assert (state_of(db, first), state_of(db, second)) == ("pending_shipment", "pending_shipment")
    assert shipments_of(db, first) == [("pending", "", "")]
    assert figures(db, s.a, s.sh)[0] == 10, "the first row's deduction is undone too"
    assert batch_audits(db) == 0


def test_an_excel_workbook_is_read_like_a_csv(db, store, staff):
    order = order_in(store, "pending_shipment")
    book = Workbook()
    sheet = book.active
    sheet.append(["Tracking_Number", "Order", "Carrier"])
    sheet.append(["SF777", order.number, "SF Express"])
    data = io.BytesIO()
    book.save(data)
    plan = ship_import.apply_shipments(staff, upload(staff, data.getvalue(), name="tracking.xlsx"))
    assert plan.issues == [] and shipments_of(db, order) == [("shipped", "SF Express", "SF777")]


def test_a_file_without_the_required_columns_is_refused_naming_them(db, store, staff):
    plan = ship_import.check_shipments(staff, upload(staff, csv_bytes([("O1", "SF")], header=("order", "carrier"))))
    assert issues(plan) == [(1, "", "missing column(s): tracking_number. The first row must name the columns "
                                    "order, carrier and tracking_number (warehouse is optional).")]


# -- the pages --------------------------------------------------------------------------

def post_file(client, data, name="tracking.csv", **form):
    return client.post("/orders/ship-import/", data={"file": (io.BytesIO(data), name), **form},
                       content_type="multipart/form-data")


def test_upload_preview_and_confirm(db, client, login_as, store):
    s = store
    order = order_in(s, "pending_shipment")
    theirs = order_in(s, "pending_shipment", lines=[(s.x.id, 1)])
    login_as("merchant_staff", s.m)
    page = client.get("/orders/ship-import/").get_data(as_text=True)
    assert 'data-testid="import-columns"' in page and "tracking_number" in page and 'name="merchant_id"' not in page
    assert "/orders/ship-import/" in client.get("/orders/").get_data(as_text=True), "in the menu"
    r = post_file(client, csv_bytes([(order.number, "SF Express", "SF1", ""),
                                     (theirs.number, "SF Express", "SF2", "")]))
    assert r.status_code == 302
    preview = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "1 problem; nothing can be shipped until it is corrected." in preview
    assert (f'<td>3</td><td class="text-monospace">order</td><td>unknown order {theirs.number}.</td>'
            in preview)
    assert 'data-testid="import-confirm"' not in preview
    refused = client.post(r.headers["Location"])
    assert refused.status_code == 400 and state_of(db, order) == "pending_shipment"

    r = post_file(client, csv_bytes([(order.number, "SF Express", "SF1", "")]))
    preview = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Ready: 1 row(s) ship 1 shipment(s) of 1 order(s); 1 order(s) become pending receipt." in preview
    row = preview[preview.index('data-testid="import-row-2"'):]
    assert '"state">pending shipment<' in row and "the order becomes pending receipt." in row
    done = client.post(r.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "Shipped from tracking.csv: 1 row(s), 1 shipment(s); 1 order(s) now pending receipt." in done
    assert state_of(db, order) == "pending_receipt" and state_of(db, theirs) == "pending_shipment"


def test_platform_staff_choose_the_merchant(db, client, login_as, store):
    order = order_in(store, "pending_shipment")
    login_as("platform_operator")
    assert 'name="merchant_id"' in client.get("/orders/ship-import/").get_data(as_text=True)
    data = csv_bytes([(order.number, "SF Express", "SF1", "")])
    r = post_file(client, data)
    assert r.status_code == 400 and "choose the merchant whose orders are shipped" in r.get_data(as_text=True)
    r = post_file(client, data, merchant_id=str(store.m.id))
    assert 'data-testid="import-ready"' in client.get(r.headers["Location"]).get_data(as_text=True)


def test_permissions_and_other_users_files(db, client, login_as, login, store):
    s = store
    order = order_in(s, "pending_shipment")
    data = csv_bytes([(order.number, "SF Express", "SF1", "")])
    login_as("finance")  # reads orders, cannot ship them
    assert client.get("/orders/ship-import/").status_code == 403
    assert post_file(client, data).status_code == 403
    login_as("merchant_staff", s.m)
    location = post_file(client, data).headers["Location"]
    login(create_user("merchant_admin", s.other))
    assert client.get(location).status_code == 404
    assert client.post(location).status_code == 404
    login(create_user("merchant_admin", s.m))  # the same merchant, yet not the user who uploaded it
    assert client.post(location).status_code == 404
    assert state_of(db, order) == "pending_shipment"


def test_files_the_page_refuses(db, client, login_as, store):
    login_as("merchant_staff", store.m)
    r = post_file(client, b"")
    assert r.status_code == 400 and "tracking.csv is empty" in r.get_data(as_text=True)
    r = post_file(client, b"%PDF-1.7 not a sheet", name="tracking.pdf")
    assert r.status_code == 400 and "is not an allowed type" in r.get_data(as_text=True)


def test_batch_ship_and_batch_print_answer_404_while_the_plugin_is_off(db, client, login_as, store):
    order = order_in(store, "pending_shipment")
    login_as("platform_admin")
    assert "/orders/ship-import/" in client.get("/").get_data(as_text=True)
    switch("orders", False)
    db.session.flush()
    try:
        assert client.get("/orders/ship-import/").status_code == 404
        assert client.get(f"/orders/print/packing-slips?order={order.id}").status_code == 404
        assert "/orders/ship-import/" not in client.get("/").get_data(as_text=True)
    finally:
        switch("orders", True)
