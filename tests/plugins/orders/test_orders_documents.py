"""The orders' documents through the client: the invoice issued by a POST
from the order's page, its text and fonts, served byte for byte, numbered
gap-free per merchant and year, refused before payment, scoped to the
merchant; the .pdf URLs never issue; the credit note of a cancelled paid
order; packing slips per shipment without prices; who may issue and who may
print."""
import hashlib
import subprocess
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from plugins.orders.models import Order
from plugins.orders.services import Adjustment
from portal import access
from portal.models import AuditLog, DataGrant, IssuedDocument, Role, RoleGrant, utcnow
from tests.plugins.orders.helpers import order_in, place_one

YEAR = utcnow().year


@pytest.fixture(scope="module")
def app(fakes_app):
    """With the fake pricing plugin, so orders carry a discount and freight."""
    return fakes_app


def discount_and_freight(draft):
    return [Adjustment("fakepromo", "discount", f"Spring sale {line.sku_code}", Decimal("-1.50"), line.index)
            for line in draft.lines] + [Adjustment("fakepromo", "freight", "Standard delivery", Decimal("8"))]


def pdf_text(tmp_path, pdf):
    path = tmp_path / f"doc-{hashlib.sha256(pdf).hexdigest()[:8]}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout


def pdf_fonts(tmp_path, pdf):
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout


def get_pdf(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/pdf"
    return response


def issue(client, order, kind="invoice"):
    """Issue a document as the order's page does (non-HTMX: a redirect and a flash)."""
    response = client.post(f"/orders/{order.id}/{kind}")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def issued(db, kind):
    return db.session.execute(select(IssuedDocument.number).where(IssuedDocument.kind == kind)
                              .order_by(IssuedDocument.id)).scalars().all()


# -- the invoice ----------------------------------------------------------------

def test_the_invoice_shows_number_parties_lines_adjustments_and_totals_in_both_languages(
        db, client, login_as, store, fakes, tmp_path):
    fakes.price = discount_and_freight
    order = order_in(store, "pending_shipment", lines=[(store.a.id, 2), (store.b.id, 1)])
    assert order.total == Decimal("30.00") - Decimal("3.00") + Decimal("8.00")
    login_as("merchant_admin", merchant=store.m)
    issue(client, order)
    response = get_pdf(client, f"/orders/{order.id}/invoice.pdf")
    text = pdf_text(tmp_path, response.data)
    number = f"INV-{YEAR}-000001"
    assert number in text and order.number in text and f"{number}.pdf" in response.headers["Content-Disposition"]
    assert "Invoice" in text and "发票" in text and "购买方" in text and "销售方" in text
    assert store.m.legal_name in text and store.m.code in text
    assert "Li Lei" in text and "1 Keji Road" in text and "Shenzhen" in text
    for line in order.lines:
        assert line.sku_code in text
    assert "Teapot" in text and "20.00" in text  # 2 x 10.00
    assert "Spring sale" in text and "-1.50" in text and "Standard delivery" in text and "8.00" in text
    assert "35.00 CNY" in text  # the total, in the order's currency
    assert "Page 1 of 1" in text
    fonts = pdf_fonts(tmp_path, response.data)
    assert "NotoSansCJK" in fonts.replace("-", "") and "DejaVu" in fonts


def test_the_invoice_is_issued_once_and_served_again_byte_for_byte(db, client, login_as, store, fakes):
    order = order_in(store, "pending_shipment")
    login_as("merchant_admin", merchant=store.m)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'data-testid="issue-invoice"' in page and 'data-testid="invoice-link"' not in page
    answer = client.post(f"/orders/{order.id}/invoice", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f"Invoice INV-{YEAR}-000001 issued." in answer and 'data-testid="invoice-link"' in answer
    first = get_pdf(client, f"/orders/{order.id}/invoice.pdf")
    second = get_pdf(client, f"/orders/{order.id}/invoice.pdf")
    assert first.data == second.data
    digest = hashlib.sha256(first.data).hexdigest()
    assert first.headers["ETag"].strip('"') == second.headers["ETag"].strip('"') == digest
    assert client.get(f"/orders/{order.id}/invoice.pdf",
                      headers={"If-None-Match": f'"{digest}"'}).status_code == 304
    # a second click (another tab) keeps the number and the stored bytes
    again = client.post(f"/orders/{order.id}/invoice", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert f"Invoice INV-{YEAR}-000001 was already issued; nothing changed." in again
    assert get_pdf(client, f"/orders/{order.id}/invoice.pdf").data == first.data
    assert issued(db, "orders.invoice") == [f"INV-{YEAR}-000001"]
    assert db.session.execute(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "document.issued", AuditLog.target == f"orders.invoice:{order.number}")).scalar() == 1


def test_reading_the_pdf_never_issues_the_invoice(db, client, login_as, store, fakes):
    order = order_in(store, "pending_shipment")
    login_as("merchant_admin", merchant=store.m)
    response = client.get(f"/orders/{order.id}/invoice.pdf")
    assert response.status_code == 404
    assert f"Order {order.number} has no invoice yet" in response.get_data(as_text=True)
    assert "Issue invoice" in response.get_data(as_text=True)
    assert issued(db, "orders.invoice") == []
    assert db.session.execute(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "document.issued")).scalar() == 0


def test_issuing_is_a_post(db, client, login_as, store, fakes):
    order = order_in(store, "pending_shipment")
    login_as("merchant_admin", merchant=store.m)
    assert client.get(f"/orders/{order.id}/invoice").status_code == 405
    assert issued(db, "orders.invoice") == []


def test_invoice_numbers_are_gap_free_per_merchant(db, client, login_as, store, fakes):
    first = order_in(store, "pending_shipment")
    theirs = order_in(store, "pending_receipt", lines=[(store.x.id, 1)])
    unpaid = place_one(store)
    second = order_in(store, "completed")
    login_as("platform_admin")
    issue(client, first)
    refused = client.post(f"/orders/{unpaid.id}/invoice", headers={"HX-Request": "true"})
    assert "not paid yet" in refused.get_data(as_text=True)  # and takes no number
    issue(client, theirs)
    issue(client, second)
    issue(client, first)  # again: no new number
    numbers = dict(db.session.execute(select(IssuedDocument.reference, IssuedDocument.number)
                                      .where(IssuedDocument.kind == "orders.invoice")).all())
    assert numbers == {first.number: f"INV-{YEAR}-000001", second.number: f"INV-{YEAR}-000002",
                       theirs.number: f"INV-{YEAR}-000001"}


def test_an_unpaid_order_has_no_invoice(db, client, login_as, store, fakes):
    order = place_one(store)
    login_as("merchant_admin", merchant=store.m)
    response = client.get(f"/orders/{order.id}/invoice.pdf")
    assert response.status_code == 404
    assert "not paid yet" in response.get_data(as_text=True)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'data-testid="invoice-link"' not in page and 'data-testid="issue-invoice"' not in page
    issue(client, order)
    cancelled = order_in(store, "cancelled")  # cancelled before payment
    issue(client, cancelled)
    assert issued(db, "orders.invoice") == []


def test_another_merchants_order_documents_are_404(db, client, login_as, store, fakes):
    theirs = order_in(store, "pending_receipt", lines=[(store.x.id, 1)])
    login_as("merchant_admin", merchant=store.m)
    for doc in ("invoice.pdf", "credit-note.pdf", "packing-slip.pdf",
                f"packing-slip.pdf?shipment={theirs.shipments[0].id}"):
        assert client.get(f"/orders/{theirs.id}/{doc}").status_code == 404, doc
    for action in ("invoice", "credit-note"):
        assert client.post(f"/orders/{theirs.id}/{action}").status_code == 404, action
    assert issued(db, "orders.invoice") == []


def test_read_only_staff_print_issued_invoices_but_cannot_issue_one(db, client, login, store, fakes, factories):
    order = order_in(store, "pending_shipment")
    staff = factories.user("merchant_staff", store.m)  # orders.invoice: read
    admin = factories.user("merchant_admin", store.m)
    login(staff)
    assert client.post(f"/orders/{order.id}/invoice").status_code == 403
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'data-testid="invoice-link"' not in page and 'data-testid="issue-invoice"' not in page
    assert issued(db, "orders.invoice") == []
    login(admin)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'data-testid="issue-invoice"' in page
    issue(client, order)
    issued_copy = get_pdf(client, f"/orders/{order.id}/invoice.pdf").data
    login(staff)
    assert get_pdf(client, f"/orders/{order.id}/invoice.pdf").data == issued_copy
    assert f"Invoice INV-{YEAR}-000001 (PDF)" in client.get(f"/orders/{order.id}").get_data(as_text=True)


def packer(db, factories, merchant):
    """A user of ``merchant`` who reads orders but holds nothing on orders.invoice."""
    staff = db.session.execute(select(Role).where(Role.builtin == "merchant_staff")).scalar_one()
    role = Role(name="Packer", kind="merchant", merchant_id=merchant.id,
                grants=[RoleGrant(resource="orders.order", level=access.READ)],
                data_grants=[DataGrant(scope=g.scope, value=g.value, level=g.level) for g in staff.data_grants])
    db.session.add(role)
    db.session.flush()
    return factories.user(role, merchant)


def test_without_orders_invoice_invoices_and_credit_notes_are_403(db, client, login, store, fakes, factories):
    order = order_in(store, "pending_shipment")
    login(factories.user("merchant_admin", store.m))
    issue(client, order)
    login(packer(db, factories, store.m))
    assert client.get(f"/orders/{order.id}/invoice.pdf").status_code == 403
    assert client.get(f"/orders/{order.id}/credit-note.pdf").status_code == 403
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "INV-" not in page and 'data-testid="invoice-link"' not in page
    # the packing slip is warehouse work: orders.order read is enough
    assert 'data-testid="packing-slips-link"' in page
    get_pdf(client, f"/orders/{order.id}/packing-slip.pdf")


# -- the credit note --------------------------------------------------------------

def test_a_cancelled_paid_order_gets_a_credit_note_naming_its_invoice(db, client, login_as, store, fakes, tmp_path):
    order = order_in(store, "pending_shipment")
    login_as("merchant_admin", merchant=store.m)
    response = client.get(f"/orders/{order.id}/credit-note.pdf")
    assert response.status_code == 404 and "no refund to credit" in response.get_data(as_text=True)
    issue(client, order)
    response = client.post(f"/orders/{order.id}/cancel", data={"note": "Out of stock"})
    assert response.status_code == 302
    assert db.session.get(Order, order.id).state == "cancelled"
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'data-testid="issue-credit-note"' in page
    assert client.get(f"/orders/{order.id}/credit-note.pdf").status_code == 404  # not issued by reading
    issue(client, order, "credit-note")
    assert 'data-testid="credit-note-link"' in client.get(f"/orders/{order.id}").get_data(as_text=True)
    text = pdf_text(tmp_path, get_pdf(client, f"/orders/{order.id}/credit-note.pdf").data)
    assert f"CN-{YEAR}-000001" in text and f"INV-{YEAR}-000001" in text
    assert "Credit note" in text and "退款" in text
    assert "alipay" in text and "-20.00 CNY" in text and "20.00 CNY" in text
    assert f"Credit note CN-{YEAR}-000001 (PDF)" in client.get(f"/orders/{order.id}").get_data(as_text=True)


def test_a_credit_note_without_an_invoice_says_none_was_issued(db, client, login_as, store, fakes, tmp_path):
    order = order_in(store, "pending_shipment")
    login_as("merchant_admin", merchant=store.m)
    assert client.post(f"/orders/{order.id}/cancel", data={}).status_code == 302
    issue(client, order, "credit-note")
    text = pdf_text(tmp_path, get_pdf(client, f"/orders/{order.id}/credit-note.pdf").data)
    assert "No invoice was issued for this order." in text and "INV-" not in text
    # the invoice of the paid-then-cancelled order may still be issued: it gets the merchant's next number
    issue(client, order)
    assert issued(db, "orders.invoice") == [f"INV-{YEAR}-000001"]


# -- packing slips ----------------------------------------------------------------

def test_a_packing_slip_per_shipment_has_lines_and_address_but_no_prices(db, client, login_as, store, fakes,
                                                                         tmp_path):
    # 6 of b: 5 from sh, 1 from the hub: two shipments
    order = order_in(store, "pending_shipment", lines=[(store.a.id, 3), (store.b.id, 6)])
    shipments = order.shipments
    assert len(shipments) == 2
    login_as("merchant_admin", merchant=store.m)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'data-testid="packing-slips-link"' in page
    one = shipments[0]
    text = pdf_text(tmp_path, get_pdf(client, f"/orders/{order.id}/packing-slip.pdf?shipment={one.id}").data)
    assert "Packing slip" in text and "装箱单" in text and one.warehouse.code in text
    assert shipments[1].warehouse.code not in text
    assert "Li Lei" in text and "1 Keji Road" in text and "Not shipped yet" in text
    assert "10.00" not in text and "CNY" not in text  # no prices
    for sl in one.lines:
        assert sl.line.sku_code in text
    # every shipment, one page each; tracking numbers once shipped
    client.post(f"/orders/{order.id}/ship", data={"carrier": "SF Express", "tracking_number": "SF123456789"})
    assert db.session.get(Order, order.id).state == "pending_receipt"
    pdf = get_pdf(client, f"/orders/{order.id}/packing-slip.pdf").data
    text = pdf_text(tmp_path, pdf)
    assert all(s.warehouse.code in text for s in shipments) and text.count("SF123456789") == 2
    assert "Page 2 of 2" in text
    assert client.get(f"/orders/{order.id}/packing-slip.pdf?shipment=999999").status_code == 404


def test_an_order_without_shipments_has_no_packing_slip(db, client, login_as, store, fakes):
    order = order_in(store, "cancelled")  # its shipments were cancelled
    login_as("merchant_admin", merchant=store.m)
    assert client.get(f"/orders/{order.id}/packing-slip.pdf").status_code == 409
    assert 'data-testid="packing-slips-link"' not in client.get(f"/orders/{order.id}").get_data(as_text=True)


def test_the_issuing_service_checks_the_actor_itself(db, store, fakes, factories):
    from plugins.orders.documents import issue_invoice
    from plugins.orders.services import OrderNotFound

    order = order_in(store, "pending_shipment")
    with pytest.raises(access.AccessDenied):
        issue_invoice(factories.user("merchant_staff", store.m), order)  # orders.invoice: read
    with pytest.raises(OrderNotFound):
        issue_invoice(factories.user("merchant_admin", store.other), order)
    assert issued(db, "orders.invoice") == []
    assert issue_invoice(factories.user("merchant_admin", store.m), order).number == f"INV-{YEAR}-000001"
