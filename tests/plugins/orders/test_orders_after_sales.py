"""After-sales cases: each kind from request to close, the refund never above
what was paid less refunds, rejection, restock into the warehouse the goods
shipped from (sellable or damaged), ``RefundApproved`` once, who may decide,
and the order's page (HTMX forms, another merchant's case 404, a photo that
is not an image refused with nothing written)."""
import io
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import select

from plugins.inventory.models import Stock
from plugins.inventory.services import check_stock
from plugins.orders.events import RefundApproved
from plugins.orders.models import AfterSalesCase, AfterSalesPhoto, Payment
from plugins.orders.registry import RESOURCES
from plugins.orders.services import after_sales
from plugins.orders.services.after_sales import RefundAbovePaid
from plugins.orders.services.errors import InvalidField, InvalidTransition
from portal.access import MERCHANT_ADMIN, MERCHANT_STAFF, AccessDenied
from portal.models import StoredFile
from tests.conftest import create_user
from tests.plugins.orders.helpers import audit_actions, count, history, order_in, paid_amount, state_of

HX = {"HX-Request": "true"}


@pytest.fixture(scope="module")
def app(fakes_app):
    return fakes_app


def png(name="broken.png"):
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return io.BytesIO(out.getvalue()), name


def stock(db, sku, warehouse):
    """``(on_hand, damaged)`` of one stock row, read now."""
    return tuple(db.session.execute(select(Stock.on_hand, Stock.damaged).where(
        Stock.sku_id == sku.id, Stock.warehouse_id == warehouse.id)).one())


def refunds(db, order):
    return db.session.execute(select(Payment.amount).where(Payment.order_id == order.id, Payment.kind == "refund")
                              ).scalars().all()


def refund_events(fakes):
    return [e for e in fakes.events if isinstance(e, RefundApproved)]


def returned_case(order, kind="return_refund", qty=2, amount="20.00"):
    line = order.lines[0]
    case = after_sales.open_case(None, order, kind, "defective", "does not heat", [(line.id, qty)], amount)
    after_sales.approve(None, case)
    after_sales.record_return(None, case, "SF Express", "SFBACK1")
    return case, line


# -- each kind ------------------------------------------------------------------

def test_refund_only_is_approved_refunded_and_closes_the_order(db, store, fakes):
    order = order_in(store, "completed")  # 2 x 10.00 CNY, paid
    case = after_sales.open_case(None, order, "refund_only", "missing_parts", "lid missing", [], "5.00")
    assert (case.status, state_of(db, order)) == ("requested", "after_sales")
    after_sales.approve(None, case)
    assert (case.status, case.approved_amount) == ("approved", Decimal("5.00"))
    after_sales.refund(None, case)
    assert case.status == "refunded" and case.closed_at is not None
    assert state_of(db, order) == "closed"
    assert refunds(db, order) == [Decimal("-5.00")] and paid_amount(order) == Decimal("15.00")
    assert refund_events(fakes) == [RefundApproved(order.id, order.number, store.m.id, case.id, Decimal("5.00"),
                                                   "CNY")]
    assert history(db, order)[-2:] == [("completed", "after_sales"), ("after_sales", "closed")]


def test_return_and_refund_puts_sellable_goods_back_where_they_shipped_from(db, store, fakes):
    order = order_in(store, "pending_receipt")
    assert stock(db, store.a, store.sh) == (8, 0)
    case, line = returned_case(order)
    after_sales.receive_return(None, case, {line.id: (2, "sellable")})
    assert case.status == "returned" and stock(db, store.a, store.sh) == (10, 0)
    after_sales.refund(None, case)
    assert state_of(db, order) == "closed" and paid_amount(order) == Decimal("0")
    assert len(refund_events(fakes)) == 1
    assert check_stock(sku_ids=[store.a.id]) == []
    steps = [a for a in audit_actions(db) if a.startswith("orders.after_sales_")]
    assert steps == ["orders.after_sales_open", "orders.after_sales_approve", "orders.after_sales_return",
                     "orders.after_sales_receive", "orders.after_sales_refund"]


def test_withdrawn_case_closes_and_gives_its_units_back(db, store):
    order = order_in(store, "pending_receipt")
    line = order.lines[0]
    case = after_sales.open_case(None, order, "return_refund", "changed_mind", "", [(line.id, 2)], "20.00")
    after_sales.withdraw(None, case, "buyer kept it")
    assert case.status == "closed" and state_of(db, order) == "closed"
    assert refunds(db, order) == [] and stock(db, store.a, store.sh) == (8, 0)


def test_damaged_goods_come_back_on_hand_but_not_sellable(db, store):
    order = order_in(store, "completed")
    case, line = returned_case(order, qty=2)
    after_sales.receive_return(None, case, {line.id: (1, "damaged")})
    assert stock(db, store.a, store.sh) == (9, 1)
    assert (case.lines[0].returned_qty, case.lines[0].restock) == (1, "damaged")
    assert check_stock(sku_ids=[store.a.id]) == []


# -- refusals ---------------------------------------------------------------------

def test_refund_never_above_what_was_paid_less_refunds(db, store, fakes):
    order = order_in(store, "completed")
    with pytest.raises(RefundAbovePaid) as exc:
        after_sales.open_case(None, order, "refund_only", "damaged", "", [], "25.00")
    assert "25.00" in str(exc.value) and "20.00" in str(exc.value)
    assert count(db, AfterSalesCase) == 0 and state_of(db, order) == "completed"
    case = after_sales.open_case(None, order, "refund_only", "damaged", "", [], "15.00")
    with pytest.raises(RefundAbovePaid):
        after_sales.approve(None, case, "20.01")
    after_sales.approve(None, case, "15.00")
    # money refunded meanwhile (elsewhere): what is left caps the refund
    db.session.add(Payment(order_id=order.id, merchant_id=order.merchant_id, kind="refund", method="alipay",
                           amount=Decimal("-10.00"), currency="CNY"))
    db.session.flush()
    with pytest.raises(RefundAbovePaid) as exc:
        after_sales.refund(None, case)
    assert (exc.value.amount, exc.value.refundable) == (Decimal("15.00"), Decimal("10.00"))
    assert case.status == "approved" and refund_events(fakes) == [] and len(refunds(db, order)) == 1


def test_rejection_needs_a_reason_and_closes_the_order_without_money(db, store):
    order = order_in(store, "completed")
    case = after_sales.open_case(None, order, "refund_only", "changed_mind", "", [], "20.00")
    with pytest.raises(InvalidField):
        after_sales.reject(None, case, "  ")
    after_sales.reject(None, case, "Opened and used")
    assert (case.status, case.rejection_reason) == ("rejected", "Opened and used")
    assert state_of(db, order) == "closed" and refunds(db, order) == []


def test_a_case_needs_an_order_that_was_shipped_and_units_it_has(db, store):
    unpaid = order_in(store, "pending_payment")
    with pytest.raises(InvalidTransition):
        after_sales.open_case(None, unpaid, "refund_only", "damaged", "", [], "1.00")
    order = order_in(store, "completed")
    with pytest.raises(InvalidField, match="choose from 1 to 2"):
        after_sales.open_case(None, order, "return_refund", "damaged", "", [(order.lines[0].id, 3)], "10.00")
    with pytest.raises(InvalidField, match="units the buyer sends back"):
        after_sales.open_case(None, order, "return_refund", "damaged", "", [], "10.00")
    assert count(db, AfterSalesCase) == 0


def test_receiving_needs_the_return_tracking_and_refund_needs_the_goods(db, store):
    order = order_in(store, "completed")
    line = order.lines[0]
    case = after_sales.open_case(None, order, "return_refund", "damaged", "", [(line.id, 1)], "10.00")
    after_sales.approve(None, case)
    with pytest.raises(after_sales.CaseStepRefused):
        after_sales.refund(None, case)
    with pytest.raises(after_sales.CaseStepRefused, match="tracking number"):
        after_sales.receive_return(None, case, {line.id: (1, "sellable")})
    after_sales.record_return(None, case, "SF", "SF1")
    with pytest.raises(InvalidField, match="sellable or damaged"):
        after_sales.receive_return(None, case, {line.id: (1, "lost")})
    assert stock(db, store.a, store.sh) == (8, 0) and case.status == "approved"


# -- who may do what ----------------------------------------------------------------

def test_merchant_staff_open_cases_but_cannot_approve(db, store):
    refund_defaults = next(r for r in RESOURCES if r.name == "orders.refund").defaults
    assert refund_defaults[MERCHANT_STAFF] == "read" and refund_defaults[MERCHANT_ADMIN] == "manage"
    staff = create_user("merchant_staff", store.m)
    order = order_in(store, "completed")
    case = after_sales.open_case(staff, order, "refund_only", "damaged", "", [], "5.00")
    with pytest.raises(AccessDenied):
        after_sales.approve(staff, case)
    assert case.status == "requested"
    after_sales.approve(create_user("merchant_admin", store.m), case)
    assert case.status == "approved"


# -- the order's page ---------------------------------------------------------------

def test_page_runs_a_return_and_refund_through_htmx(db, client, login_as, store, fakes):
    order = order_in(store, "completed")
    line = order.lines[0]
    login_as("platform_admin")
    body = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert 'data-testid="open-case-form"' in body and 'hx-encoding="multipart/form-data"' in body
    photo, name = png()
    r = client.post(f"/orders/{order.id}/cases", headers=HX, content_type="multipart/form-data", data={
        "kind": "return_refund", "reason": "damaged", "note": "cracked", f"qty-{line.id}": "2",
        "amount": "20.00", "photos": (photo, name)})
    assert r.status_code == 200 and "After-sales case opened." in r.get_data(as_text=True)
    case = db.session.execute(select(AfterSalesCase)).scalar_one()
    assert count(db, AfterSalesPhoto) == 1
    assert client.get(f"/orders/{order.id}/cases/photos/{case.photos[0].id}").mimetype == "image/png"
    base = f"/orders/{order.id}/cases/{case.id}"
    steps = [("approve", {"amount": "18.00"}), ("return", {"carrier": "SF", "tracking_number": "SFB1"}),
             ("receive", {f"qty-{line.id}": "2", f"restock-{line.id}": "sellable"}), ("refund", {})]
    for step, data in steps:
        page = client.post(f"{base}/{step}", headers=HX, data=data).get_data(as_text=True)
        assert 'data-testid="action-error"' not in page, (step, page)
    assert 'data-testid="order-state">Closed' in page
    assert f'data-testid="case-{case.id}-status">refunded' in page
    assert refunds(db, order) == [Decimal("-18.00")]
    assert len(refund_events(fakes)) == 1 and stock(db, store.a, store.sh) == (10, 0)


def test_page_refuses_a_text_file_named_png_and_writes_nothing(db, client, login_as, store):
    order = order_in(store, "completed")
    login_as("platform_admin")
    files_before = count(db, StoredFile)
    r = client.post(f"/orders/{order.id}/cases", headers=HX, content_type="multipart/form-data", data={
        "kind": "refund_only", "reason": "damaged", "amount": "5.00",
        "photos": (io.BytesIO(b"just some text, not a picture"), "evidence.png")})
    page = r.get_data(as_text=True)
    assert r.status_code == 200 and 'data-testid="action-error"' in page and "not an allowed type" in page
    assert count(db, AfterSalesCase) == 0 and count(db, StoredFile) == files_before
    assert state_of(db, order) == "completed"


def test_page_shows_errors_inline_and_keeps_the_case(db, client, login_as, store):
    order = order_in(store, "completed")
    case = after_sales.open_case(None, order, "refund_only", "damaged", "", [], "5.00")
    login_as("platform_admin")
    page = client.post(f"/orders/{order.id}/cases/{case.id}/approve", headers=HX,
                       data={"amount": "99.00"}).get_data(as_text=True)
    assert 'data-testid="action-error"' in page and "only 20.00 CNY" in page
    assert db.session.get(AfterSalesCase, case.id).status == "requested"


def test_merchant_staff_see_no_decision_and_are_refused_it(db, client, login_as, store):
    order = order_in(store, "completed")
    case = after_sales.open_case(None, order, "refund_only", "damaged", "", [], "5.00")
    login_as("merchant_staff", merchant=store.m)
    page = client.get(f"/orders/{order.id}").get_data(as_text=True)
    assert f'data-testid="case-{case.id}"' in page and f"case-{case.id}-approve-form" not in page
    assert client.post(f"/orders/{order.id}/cases/{case.id}/approve", headers=HX).status_code == 403
    assert db.session.get(AfterSalesCase, case.id).status == "requested"


def test_another_merchants_case_is_404(db, client, login_as, store):
    mine = order_in(store, "completed")
    theirs = order_in(store, "completed", lines=[(store.x.id, 1)])
    their_case = after_sales.open_case(None, theirs, "refund_only", "damaged", "", [], "5.00",
                                       photos=[_upload()])
    login_as("merchant_admin", merchant=store.m)
    assert client.post(f"/orders/{theirs.id}/cases/{their_case.id}/approve", headers=HX).status_code == 404
    # nor through one of their own orders
    assert client.post(f"/orders/{mine.id}/cases/{their_case.id}/approve", headers=HX).status_code == 404
    photo = their_case.photos[0].id
    assert client.get(f"/orders/{theirs.id}/cases/photos/{photo}").status_code == 404
    assert client.get(f"/orders/{mine.id}/cases/photos/{photo}").status_code == 404
    assert db.session.get(AfterSalesCase, their_case.id).status == "requested"


def _upload():
    from werkzeug.datastructures import FileStorage
    stream, name = png()
    return FileStorage(stream=stream, filename=name, content_type="image/png")


def test_an_order_with_an_open_case_cannot_be_closed_around_it(db, store):
    from plugins.orders.services import close
    order = order_in(store, "completed")
    line = order.lines[0]
    case = after_sales.open_case(None, order, "refund_only", "defective", "", [(line.id, 1)], "5.00")
    with pytest.raises(InvalidTransition, match="after-sales case is still open"):
        close(None, order)
    assert state_of(db, order) == "after_sales"
    after_sales.reject(None, case, "Not covered.")
    assert state_of(db, order) == "closed"
