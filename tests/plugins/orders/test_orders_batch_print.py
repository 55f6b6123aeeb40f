"""Batch printing from the order list: one PDF holding the packing slips, or
the invoices, of the ticked orders, scoped to the user's merchant, at most 50
orders; invoices not issued yet are issued in turn, issued ones reprinted
from their stored copy; an order that cannot be invoiced refuses the batch."""
import subprocess

from sqlalchemy import func, select

from portal.models import AuditLog, IssuedDocument, utcnow
from tests.plugins.orders.helpers import order_in, place_one

YEAR = utcnow().year


def pdf_pages(tmp_path, pdf):
    path = tmp_path / "batch.pdf"
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def pdf_text(tmp_path, pdf):
    path = tmp_path / "batch-text.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def print_url(*orders):
    return "/orders/print/packing-slips?" + "&".join(f"order={o.id}" for o in orders)


def test_the_list_offers_to_print_the_ticked_orders(db, client, login_as, store):
    order = order_in(store, "pending_shipment")
    login_as("merchant_staff", store.m)
    page = client.get("/orders/").get_data(as_text=True)
    assert 'action="/orders/print/packing-slips"' in page and 'data-testid="print-packing-slips"' in page
    assert 'formaction="/orders/print/invoices"' in page and 'name="csrf_token"' in page
    assert f'name="order" value="{order.id}" form="print-slips"' in page
    assert 'href="/orders/print/"' not in page, "printing is not a menu entry"


def test_one_pdf_holds_a_packing_slip_page_per_single_shipment_order(db, client, login_as, store, tmp_path):
    s = store
    orders = [order_in(s, "pending_shipment", lines=[(s.a.id, 1)]) for _ in range(3)]
    shipped = order_in(s, "pending_receipt")
    login_as("merchant_staff", s.m)
    response = client.get(print_url(*orders, shipped))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert pdf_pages(tmp_path, response.data) == 4
    text = pdf_text(tmp_path, response.data)
    assert all(o.number in text for o in orders + [shipped])
    assert f"SF{shipped.id:010d}" in text, "a shipped order's slip shows its tracking number"
    # the same order twice prints once
    again = client.get(print_url(orders[0], orders[0]))
    assert pdf_pages(tmp_path, again.data) == 1


def test_another_merchants_order_is_404_for_the_whole_batch(db, client, login_as, store):
    mine = order_in(store, "pending_shipment")
    theirs = order_in(store, "pending_shipment", lines=[(store.x.id, 1)])
    login_as("merchant_staff", store.m)
    assert client.get(print_url(mine, theirs)).status_code == 404
    assert client.get("/orders/print/packing-slips?order=999999999").status_code == 404


def test_more_than_fifty_orders_or_none_are_refused_with_a_message(db, client, login_as, store):
    login_as("merchant_staff", store.m)
    many = "&".join(f"order={n}" for n in range(1, 52))
    response = client.get(f"/orders/print/packing-slips?{many}")
    assert response.status_code == 400
    assert "51 orders chosen; print at most 50 at a time." in response.get_data(as_text=True)
    response = client.get("/orders/print/packing-slips")
    assert response.status_code == 400 and "Tick at least one order to print." in response.get_data(as_text=True)
    assert client.get("/orders/print/packing-slips?order=abc").status_code == 400


def test_a_multi_warehouse_order_prints_a_page_per_shipment(db, client, login_as, store, tmp_path):
    order = order_in(store, "pending_shipment", lines=[(store.b.id, 8)], region="CN-BJ")
    login_as("platform_admin")
    response = client.get(print_url(order))
    assert response.status_code == 200 and pdf_pages(tmp_path, response.data) == 2


# -- invoices -----------------------------------------------------------------------

def invoices(client, *orders):
    return client.post("/orders/print/invoices", data={"order": [str(o.id) for o in orders]})


def numbers(db):
    return dict(db.session.execute(select(IssuedDocument.reference, IssuedDocument.number)
                                   .where(IssuedDocument.kind == "orders.invoice")).all())


def test_a_batch_issues_the_missing_invoices_and_reprints_the_issued_ones(db, client, login_as, store, tmp_path):
    s = store
    first, second, third = (order_in(s, "pending_shipment", lines=[(s.a.id, 1)]) for _ in range(3))
    login_as("merchant_admin", s.m)
    assert client.post(f"/orders/{second.id}/invoice").status_code == 302  # issued one by one before
    kept = client.get(f"/orders/{second.id}/invoice.pdf").data
    response = invoices(client, first, second, third)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert pdf_pages(tmp_path, response.data) == 3
    text = pdf_text(tmp_path, response.data)
    assert text.index(first.number) < text.index(second.number) < text.index(third.number)
    assert numbers(db) == {second.number: f"INV-{YEAR}-000001", first.number: f"INV-{YEAR}-000002",
                           third.number: f"INV-{YEAR}-000003"}
    assert client.get(f"/orders/{second.id}/invoice.pdf").data == kept, "not renumbered, not rendered again"
    # the same batch again issues nothing: the stored copies, byte for byte
    again = invoices(client, first, second, third)
    assert len(numbers(db)) == 3 and pdf_pages(tmp_path, again.data) == 3
    assert db.session.execute(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "document.issued")).scalar() == 3


def test_orders_that_cannot_be_invoiced_are_named_and_nothing_is_issued(db, client, login_as, store):
    paid = order_in(store, "pending_shipment")
    unpaid = place_one(store)
    cancelled = order_in(store, "cancelled")
    login_as("merchant_admin", store.m)
    response = invoices(client, paid, unpaid, cancelled)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "No invoice was issued" in page
    assert f"Order {unpaid.number} is not paid yet" in page and f"Order {cancelled.number} is not paid yet" in page
    assert paid.number not in page
    assert numbers(db) == {}
    assert invoices(client, paid).status_code == 200
    assert numbers(db) == {paid.number: f"INV-{YEAR}-000001"}, "the refused batch took no number"


def test_staff_who_only_print_get_issued_invoices_and_are_told_of_the_rest(db, client, login_as, login, store,
                                                                            factories):
    issued, fresh = order_in(store, "pending_shipment"), order_in(store, "pending_shipment")
    login(factories.user("merchant_admin", store.m))
    client.post(f"/orders/{issued.id}/invoice")
    login(factories.user("merchant_staff", store.m))  # orders.invoice: read
    assert invoices(client, issued).status_code == 200
    response = invoices(client, issued, fresh)
    assert response.status_code == 409
    assert f"Order {fresh.number} has no invoice yet, and you may print issued invoices" in response.get_data(
        as_text=True)
    assert set(numbers(db)) == {issued.number}


def test_invoice_batches_are_scoped_bounded_and_posted(db, client, login_as, store):
    mine = order_in(store, "pending_shipment")
    theirs = order_in(store, "pending_shipment", lines=[(store.x.id, 1)])
    login_as("merchant_admin", store.m)
    assert invoices(client, mine, theirs).status_code == 404
    assert numbers(db) == {}
    many = client.post("/orders/print/invoices", data={"order": [str(n) for n in range(1, 52)]})
    assert many.status_code == 400 and "print at most 50" in many.get_data(as_text=True)
    assert client.post("/orders/print/invoices").status_code == 400
    assert client.get(f"/orders/print/invoices?order={mine.id}").status_code == 405
