"""Batch printing from the order list: one PDF holding the packing slips of
the ticked orders, scoped to the user's merchant, at most 50 orders."""
import subprocess

from tests.plugins.orders.helpers import order_in


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
