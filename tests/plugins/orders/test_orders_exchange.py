"""An exchange's replacement shipment: after the goods are received back, the
same units leave a chosen warehouse (locked then deducted through the
inventory) on a shipment with a carrier and tracking number that the order's
page, history and packing slip show; refusals write nothing."""
import subprocess

import pytest
from sqlalchemy import select

from plugins.inventory.models import StockLock
from plugins.inventory.services import InsufficientStock, check_stock
from plugins.orders.models import AfterSalesCase, OrderHistory, Payment, Shipment
from plugins.orders.services import after_sales, exchange
from plugins.orders.services.errors import InvalidField
from portal.access import AccessDenied
from tests.conftest import create_user
from tests.plugins.orders.helpers import count, figures, order_in, state_of

HX = {"HX-Request": "true"}


@pytest.fixture(scope="module")
def app(fakes_app):
    return fakes_app


def exchange_case(order, qty=1, received=1, decision="sellable"):
    """An exchange of ``qty`` units of the order's first line, approved, sent back and received."""
    line = order.lines[0]
    case = after_sales.open_case(None, order, "exchange", "defective", "does not heat", [(line.id, qty)], "")
    after_sales.approve(None, case)
    after_sales.record_return(None, case, "SF Express", "SFBACK1")
    after_sales.receive_return(None, case, {line.id: (received, decision)})
    return case, line


def notes(db, order):
    return db.session.execute(select(OrderHistory.note).where(OrderHistory.order_id == order.id)
                              .order_by(OrderHistory.id)).scalars().all()


def test_the_replacement_leaves_the_warehouse_and_the_exchange_closes(db, store, fakes):
    order = order_in(store, "completed")  # 2 of a from sh: 10 -> 8 on hand
    case, line = exchange_case(order, qty=2, received=2, decision="damaged")
    assert figures(db, store.a, store.sh) == (10, 0)  # the damaged units are on hand, not sellable
    shipment = exchange.send_replacement(None, case, store.sh.id, "SF Express", "SFNEW1", "sent the blue one")
    db.session.flush()
    assert case.status == "exchanged" and state_of(db, order) == "closed"
    assert (shipment.case_id, shipment.status, shipment.carrier, shipment.tracking_number) == (
        case.id, "shipped", "SF Express", "SFNEW1")
    assert [(sl.line_id, sl.qty) for sl in shipment.lines] == [(line.id, 2)]
    assert figures(db, store.a, store.sh) == (8, 0), "two units left, none stays locked"
    assert db.session.get(StockLock, shipment.lines[0].lock_id).status == "deducted"
    assert any(n.startswith(f"Replacement for after-sales case {case.id} shipped from {store.sh.code} with SF Express "
                            "SFNEW1.") and n.endswith("sent the blue one") for n in notes(db, order))
    assert count(db, Payment) == 1, "an exchange refunds nothing"
    assert check_stock(sku_ids=[store.a.id]) == [], "the stock adds up with its ledger"


def test_the_replacement_may_leave_from_a_platform_hub(db, store):
    order = order_in(store, "completed", lines=[(store.b.id, 1)])  # b: 5 in sh, 5 in the hub
    case, _line = exchange_case(order)
    exchange.send_replacement(None, case, store.hub.id, "EMS", "EMS1")
    assert figures(db, store.b, store.hub) == (4, 0)


def test_refusals_write_nothing(db, store):
    order = order_in(store, "completed")
    line = order.lines[0]
    case = after_sales.open_case(None, order, "exchange", "defective", "", [(line.id, 1)], "")
    after_sales.approve(None, case)
    with pytest.raises(after_sales.CaseStepRefused, match="received back"):
        exchange.send_replacement(None, case, store.sh.id, "SF", "SF1")
    after_sales.record_return(None, case, "SF Express", "SFBACK1")
    after_sales.receive_return(None, case, {line.id: (1, "sellable")})
    for warehouse, carrier, tracking, problem in [(store.far.id, "SF", "SF1", "choose the warehouse"),
                                                  ("", "SF", "SF1", "choose the warehouse"),
                                                  (store.sh.id, "", "SF1", "required"),
                                                  (store.sh.id, "SF", " ", "required")]:
        with pytest.raises(InvalidField, match=problem):
            exchange.send_replacement(None, case, warehouse, carrier, tracking)
    with pytest.raises(InsufficientStock):
        exchange.send_replacement(None, case, store.gz.id, "SF", "SF1")  # gz holds no a
    assert case.status == "returned" and count(db, Shipment) == 1, "only the order's own shipment"
    assert figures(db, store.a, store.sh) == (9, 0)


def test_a_refund_case_has_no_replacement_and_staff_cannot_send_one(db, store):
    order = order_in(store, "completed")
    line = order.lines[0]
    refund = after_sales.open_case(None, order, "return_refund", "defective", "", [(line.id, 1)], "10.00")
    with pytest.raises(after_sales.CaseStepRefused, match="only an exchange"):
        exchange.send_replacement(None, refund, store.sh.id, "SF", "SF1")
    after_sales.withdraw(None, refund)
    other = order_in(store, "completed")
    case, _line = exchange_case(other)
    with pytest.raises(AccessDenied):
        exchange.send_replacement(create_user("merchant_staff", store.m), case, store.sh.id, "SF", "SF1")
    assert case.status == "returned"


def test_the_page_ships_the_replacement_and_prints_its_packing_slip(db, client, login_as, store, tmp_path):
    order = order_in(store, "completed")
    case, _line = exchange_case(order)
    login_as("merchant_admin", store.m)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f'data-testid="case-{case.id}-exchange-form"' in page
    assert f'<option value="{store.sh.id}" selected>' in page, "where the goods shipped from, first"
    assert f'value="{store.far.id}"' not in page, "another merchant's warehouse is not offered"
    base = f"/orders/{order.id}/cases/{case.id}/exchange"
    refused = client.post(base, headers=HX, data={"warehouse": store.gz.id, "carrier": "SF",
                                                  "tracking_number": "SFR1"}).get_data(as_text=True)
    assert 'data-testid="action-error"' in refused and f'value="{store.gz.id}" selected' in refused
    answer = client.post(base, headers=HX, data={"warehouse": store.sh.id, "carrier": "SF Express",
                                                 "tracking_number": "SFR2"}).get_data(as_text=True)
    assert "Replacement shipped; the exchange is complete." in answer
    assert f"Replacement, case {case.id}" in answer and "SFR2" in answer
    assert 'data-testid="order-state">Closed' in answer
    assert f"Replacement for after-sales case {case.id} shipped from {store.sh.code}" in answer  # the history
    replacement = db.session.execute(select(Shipment).where(Shipment.case_id == case.id)).scalar_one()
    pdf = client.get(f"/orders/{order.id}/packing-slip.pdf?shipment={replacement.id}")
    assert pdf.status_code == 200
    path = tmp_path / "replacement.pdf"
    path.write_bytes(pdf.data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert "Replacement for after-sales case" in text and "换货补发" in text and "SFR2" in text


def test_staff_without_refund_rights_see_no_replacement_form(db, client, login_as, store):
    order = order_in(store, "completed")
    case, _line = exchange_case(order)
    login_as("merchant_staff", store.m)
    assert f'data-testid="case-{case.id}-exchange-form"' not in client.get(f"/orders/{order.id}").get_data(
        as_text=True)
    assert client.post(f"/orders/{order.id}/cases/{case.id}/exchange",
                       data={"warehouse": store.sh.id, "carrier": "SF", "tracking_number": "X"}).status_code == 403
    assert db.session.get(AfterSalesCase, case.id).status == "returned"
