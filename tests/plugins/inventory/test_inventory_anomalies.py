"""The exceptions: what the stock check finds after figures were changed behind
the services' back (raw SQL, as a faulty script would), each repair and its
audit row, the page (scope, permissions, HTMX repair), the check command, and
the order checks through the inventory's extension points answered by a fake
orders plugin."""
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from plugins.inventory.models import Stock, StockLedger, StockLock
from plugins.inventory.services import (AnomalyGone, CannotRepair, LockNotLive, StocktakeNeeded, check_stock,
                                        increase, lock, order_checks_available, repair, sellable)
from portal.models import AuditLog, utcnow
from portal.plugins import kernel
from tests.conftest import create_user
from tests.core.plugin_fakes import fake_plugin, make_app_with
from tests.plugins.inventory.helpers import audit_actions, ledger_count

HX = {"HX-Request": "true"}


@pytest.fixture()
def stocked(db, shop):
    """Ten units of SKU ``a`` in warehouse ``sh``."""
    increase(None, shop.a.id, shop.sh.id, 10, "GRN")
    return shop


def corrupt(db, sql, **params):
    """Change figures behind the services' back; the database's own checks
    (no negative quantity, nothing committed beyond on hand) are set aside."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("PRAGMA ignore_check_constraints = ON"))
        try:
            db.session.execute(text(sql), params)
        finally:
            db.session.execute(text("PRAGMA ignore_check_constraints = OFF"))
    else:  # dropped inside the test's transaction, so the rollback restores them
        for name in ("ck_inventory_stock_not_negative", "ck_inventory_stock_within_on_hand"):
            db.session.execute(text(f"ALTER TABLE inventory_stock DROP CONSTRAINT IF EXISTS {name}"))
        db.session.execute(text(sql), params)


def figures(db, sku, warehouse):
    row = db.session.execute(select(Stock).where(Stock.sku_id == sku.id, Stock.warehouse_id == warehouse.id)
                             .execution_options(populate_existing=True)).scalar_one()
    return row.on_hand, row.locked, row.damaged, row.quality_hold


def found(**where):
    return [(a.kind, a.state, a.quantity, a.expected, a.repair, a.repair_value) for a in check_stock(**where)]


def lock_status(db, lock_id):
    return db.session.execute(select(StockLock.status).where(StockLock.id == lock_id)).scalar()


def last_ledger(db):
    row = db.session.execute(select(StockLedger).order_by(StockLedger.id.desc()).limit(1)).scalar_one()
    return row.reason, row.state, row.delta


# -- the repairs, as services ---------------------------------------------------------------

def test_a_quantity_changed_without_a_ledger_row_is_reconciled_and_the_count_stays(db, stocked):
    s = stocked
    corrupt(db, "UPDATE inventory_stock SET on_hand = 7 WHERE sku_id = :sku", sku=s.a.id)
    assert found() == [("ledger", "on_hand", 7, 10, "reconcile", -3)]
    message = repair(None, "ledger", s.a.id, s.sh.id, "on_hand")
    assert "-3" in message and "7" in message
    assert figures(db, s.a, s.sh) == (7, 0, 0, 0)
    assert last_ledger(db) == ("reconcile", "on_hand", -3)
    assert check_stock() == []
    assert audit_actions(db)[-1] == "inventory.repair"
    before = ledger_count(db)
    with pytest.raises(AnomalyGone, match="no longer needs repair"):
        repair(None, "ledger", s.a.id, s.sh.id, "on_hand")
    assert ledger_count(db) == before


def test_a_ledger_whose_stock_row_was_deleted_is_brought_to_zero(db, stocked):
    s = stocked
    corrupt(db, "DELETE FROM inventory_stock WHERE sku_id = :sku", sku=s.a.id)
    assert found() == [("ledger", "on_hand", 0, 10, "reconcile", -10)]
    repair(None, "ledger", s.a.id, s.sh.id, "on_hand")
    assert check_stock() == []


def test_locked_changed_behind_the_back_is_set_to_the_live_reservations(db, stocked):
    s = stocked
    lock(None, s.a.id, s.sh.id, 3, "O-1")
    corrupt(db, "UPDATE inventory_stock SET locked = 5 WHERE sku_id = :sku", sku=s.a.id)
    assert found() == [("ledger", "locked", 5, 3, "reconcile", 2), ("locks", "locked", 5, 3, "recompute", 3)]
    before = ledger_count(db)
    assert "from 5 to 3" in repair(None, "locks", s.a.id, s.sh.id, "locked")
    # the ledger already said 3: one repair settles both, and writes no ledger row
    assert figures(db, s.a, s.sh)[1] == 3 and ledger_count(db) == before
    assert check_stock() == []
    with pytest.raises(AnomalyGone):
        repair(None, "ledger", s.a.id, s.sh.id, "locked")


def test_a_reservation_closed_behind_the_back_frees_its_units_with_a_reconcile_row(db, stocked):
    s = stocked
    lock(None, s.a.id, s.sh.id, 4, "O-1")
    corrupt(db, "UPDATE inventory_stock_lock SET status = 'released'")
    assert found() == [("locks", "locked", 4, 0, "recompute", 0)]
    repair(None, "locks", s.a.id, s.sh.id, "locked")
    assert figures(db, s.a, s.sh) == (10, 0, 0, 0) and sellable(s.a.id) == 10
    assert last_ledger(db) == ("reconcile", "locked", -4)
    assert check_stock() == []


def test_a_negative_locked_quantity_is_recomputed(db, stocked):
    s = stocked
    lock(None, s.a.id, s.sh.id, 2, "O-1")
    corrupt(db, "UPDATE inventory_stock SET locked = -1 WHERE sku_id = :sku", sku=s.a.id)
    assert ("negative", "locked", -1, 0, "recompute", 2) in found()
    repair(None, "negative", s.a.id, s.sh.id, "locked")
    assert figures(db, s.a, s.sh) == (10, 2, 0, 0)
    assert check_stock() == []


def test_a_negative_on_hand_needs_a_stocktake_and_nothing_is_written(db, stocked):
    s = stocked
    corrupt(db, "UPDATE inventory_stock SET on_hand = -2 WHERE sku_id = :sku", sku=s.a.id)
    assert ("negative", "on_hand", -2, 0, "", 0) in found()
    before = (ledger_count(db), len(audit_actions(db)))
    with pytest.raises(StocktakeNeeded, match="only a stocktake can fix it"):
        repair(None, "negative", s.a.id, s.sh.id, "on_hand")
    assert (ledger_count(db), len(audit_actions(db))) == before
    assert figures(db, s.a, s.sh) == (-2, 0, 0, 0)


def test_over_committed_is_repaired_when_the_reservations_fit_else_needs_a_stocktake(db, stocked):
    s = stocked
    lock(None, s.a.id, s.sh.id, 4, "O-1")
    corrupt(db, "UPDATE inventory_stock SET locked = 12 WHERE sku_id = :sku", sku=s.a.id)
    assert ("over_committed", "on_hand", 10, 12, "recompute", 4) in found()
    repair(None, "over_committed", s.a.id, s.sh.id, "on_hand")
    assert figures(db, s.a, s.sh) == (10, 4, 0, 0) and check_stock() == []

    corrupt(db, "UPDATE inventory_stock SET on_hand = 3 WHERE sku_id = :sku", sku=s.a.id)
    assert ("over_committed", "on_hand", 3, 4, "", 4) in found()
    with pytest.raises(StocktakeNeeded):
        repair(None, "over_committed", s.a.id, s.sh.id, "on_hand")
    assert figures(db, s.a, s.sh) == (3, 4, 0, 0)


def test_a_reservation_the_expiry_job_missed_is_expired_now(db, stocked):
    s = stocked
    missed = lock(None, s.a.id, s.sh.id, 3, "O-1", expires_at=utcnow() - timedelta(hours=1))
    lock(None, s.a.id, s.sh.id, 1, "O-2", expires_at=utcnow() - timedelta(seconds=30))  # the job's next run
    assert [(a.kind, a.lock_id, a.order_ref, a.repair) for a in check_stock()] == [
        ("expired_lock", missed.id, "O-1", "expire")]
    assert "expired" in repair(None, "expired_lock", lock_id=missed.id)
    assert lock_status(db, missed.id) == "expired"
    assert figures(db, s.a, s.sh)[1] == 1
    assert audit_actions(db)[-2:] == ["inventory.expire", "inventory.repair"]
    with pytest.raises(LockNotLive):
        repair(None, "expired_lock", lock_id=missed.id)


def test_a_reservation_not_past_its_expiry_is_left_alone(db, stocked):
    held = lock(None, stocked.a.id, stocked.sh.id, 3, "O-1")
    with pytest.raises(AnomalyGone):
        repair(None, "expired_lock", lock_id=held.id)
    assert lock_status(db, held.id) == "live" and figures(db, stocked.a, stocked.sh)[1] == 3


def test_without_an_orders_module_the_order_checks_are_not_made(db, stocked):
    lock(None, stocked.a.id, stocked.sh.id, 3, "NO-SUCH-ORDER")
    assert not order_checks_available() and check_stock() == []
    with pytest.raises(CannotRepair, match="orders module"):
        repair(None, "orphan_lock", lock_id=db.session.execute(select(StockLock.id)).scalar())
    with pytest.raises(CannotRepair, match="allocate the order again"):
        repair(None, "unlocked_line", stocked.a.id)


def test_merchant_staff_cannot_repair_and_another_merchants_row_does_not_exist(db, stocked):
    from plugins.inventory.services import UnknownSku
    from portal.access import AccessDenied
    s = stocked
    corrupt(db, "UPDATE inventory_stock SET on_hand = 7 WHERE sku_id = :sku", sku=s.a.id)
    with pytest.raises(AccessDenied):
        repair(create_user("merchant_staff", s.m), "ledger", s.a.id, s.sh.id, "on_hand")
    with pytest.raises(UnknownSku):
        repair(create_user("merchant_admin", s.other), "ledger", s.a.id, s.sh.id, "on_hand")
    repair(create_user("merchant_admin", s.m), "ledger", s.a.id, s.sh.id, "on_hand")
    assert check_stock() == []


# -- the page ---------------------------------------------------------------------------------

def test_the_page_explains_each_anomaly_with_its_repair(db, client, login_as, stocked):
    s = stocked
    corrupt(db, "UPDATE inventory_stock SET on_hand = 7 WHERE sku_id = :sku", sku=s.a.id)
    login_as("platform_admin")
    page = client.get("/inventory/anomalies/").text
    assert "Quantity differs from its ledger" in page
    assert "The on-hand quantity is 7 but its ledger adds up to 10" in page
    assert s.a.code in page and s.sh.code in page
    assert "Order checks need the orders module" in page
    assert 'hx-confirm="Write a “reconcile” ledger row of -3' in page and "Reconcile the ledger" in page


def test_the_page_says_when_the_stock_adds_up(client, login_as, stocked):
    login_as("merchant_admin", merchant=stocked.m)
    page = client.get("/inventory/anomalies/").text
    assert "Stock adds up: no anomaly found." in page and 'data-testid="anomalies"' not in page


def test_merchant_staff_see_only_their_merchants_anomalies(db, client, login_as, stocked):
    s = stocked
    increase(None, s.x.id, s.far.id, 5, "GRN")
    corrupt(db, "UPDATE inventory_stock SET on_hand = on_hand + 1")
    login_as("merchant_admin", merchant=s.m)
    page = client.get("/inventory/anomalies/").text
    assert s.a.code in page and s.x.code not in page
    client.post("/logout")
    login_as("platform_operator")
    page = client.get("/inventory/anomalies/").text
    assert s.a.code in page and s.x.code in page
    # the operator may read stock but not manage its changes: no button
    assert 'data-testid="repair-form"' not in page and "Repairing needs manage access" in page


def test_a_stocktake_is_advised_where_nothing_can_be_repaired(db, client, login_as, stocked):
    s = stocked
    corrupt(db, "UPDATE inventory_stock SET on_hand = -2 WHERE sku_id = :sku", sku=s.a.id)
    login_as("platform_admin")
    page = client.get("/inventory/anomalies/").text
    row = page.split(f'data-testid="anomaly-negative-{s.a.id}-{s.sh.id}-on_hand"')[1].split("</tr>")[0]
    assert "Only a stocktake can fix this" in row and "Open the stock row" in row
    assert "repair-form" not in row


def test_repair_through_the_page_swaps_the_row_and_is_audited(db, client, login_as, stocked):
    s = stocked
    corrupt(db, "UPDATE inventory_stock SET on_hand = 7 WHERE sku_id = :sku", sku=s.a.id)
    admin = login_as("merchant_admin", merchant=s.m)
    form = {"key": "k1", "kind": "ledger", "sku": s.a.id, "warehouse": s.sh.id, "state": "on_hand", "lock": ""}
    response = client.post("/inventory/anomalies/repair", data=form, headers=HX)
    assert response.status_code == 200
    assert 'id="anomaly-k1"' in response.text and "Repaired" in response.text
    assert check_stock() == []
    audit = db.session.execute(select(AuditLog).where(AuditLog.action == "inventory.repair")).scalar_one()
    assert audit.user_id == admin.id and audit.merchant_id == s.m.id and '"kind": "ledger"' in audit.summary
    again = client.post("/inventory/anomalies/repair", data=form, headers=HX)
    assert again.status_code == 200 and "no longer needs repair" in again.text
    assert 'data-testid="repair-error"' in again.text


def test_repair_without_htmx_redirects_with_the_message(db, client, login_as, stocked):
    s = stocked
    corrupt(db, "UPDATE inventory_stock SET on_hand = 7 WHERE sku_id = :sku", sku=s.a.id)
    login_as("platform_admin")
    response = client.post("/inventory/anomalies/repair", data={
        "kind": "ledger", "sku": s.a.id, "warehouse": s.sh.id, "state": "on_hand"})
    assert response.status_code == 302
    assert "Repaired" in client.get(response.headers["Location"]).text


def test_repairs_need_manage_and_the_users_scope(db, client, login_as, stocked):
    s = stocked
    increase(None, s.x.id, s.far.id, 5, "GRN")
    corrupt(db, "UPDATE inventory_stock SET on_hand = on_hand + 1")
    before = ledger_count(db)
    login_as("merchant_staff", merchant=s.m)
    assert client.get("/inventory/anomalies/").status_code == 200
    assert client.post("/inventory/anomalies/repair", data={
        "kind": "ledger", "sku": s.a.id, "warehouse": s.sh.id, "state": "on_hand"}, headers=HX).status_code == 403
    client.post("/logout")
    login_as("merchant_admin", merchant=s.m)
    assert client.post("/inventory/anomalies/repair", data={
        "kind": "ledger", "sku": s.x.id, "warehouse": s.far.id, "state": "on_hand"}, headers=HX).status_code == 404
    assert client.post("/inventory/anomalies/repair", data={
        "kind": "expired_lock", "lock": "999999"}, headers=HX).status_code == 404
    assert ledger_count(db) == before


def test_a_user_without_stock_access_cannot_open_the_page(client, login, db):
    login(create_user([], None))
    assert client.get("/inventory/anomalies/").status_code == 403


def test_the_page_is_gone_while_the_plugin_is_off(db, client, login_as, stocked):
    login_as("platform_admin")
    kernel().set_enabled("inventory", False)
    db.session.commit()
    try:
        assert client.get("/inventory/anomalies/").status_code == 404
        assert "/inventory/anomalies/" not in client.get("/").text
    finally:
        kernel().set_enabled("inventory", True)
        db.session.commit()
    assert client.get("/inventory/anomalies/").status_code == 200


# -- the check command ------------------------------------------------------------------------

def test_the_command_prints_the_explanations_and_repairs_on_request(app, db, stocked):
    s = stocked
    runner = app.test_cli_runner()
    corrupt(db, "UPDATE inventory_stock SET on_hand = 7 WHERE sku_id = :sku", sku=s.a.id)
    result = runner.invoke(args=["portal", "inventory", "check"])
    assert result.exit_code == 1
    assert "The on-hand quantity is 7 but its ledger adds up to 10" in result.output
    assert "Repair offered: Reconcile the ledger." in result.output
    assert "Order checks need the orders module" in result.output
    assert ledger_count(db) == 1
    result = runner.invoke(args=["portal", "inventory", "check", "--repair"])
    assert result.exit_code == 0, result.output
    assert "Repaired" in result.output and "Stock adds up: no anomaly found." in result.output
    assert last_ledger(db) == ("reconcile", "on_hand", -3)


def test_the_command_repair_leaves_what_needs_a_person(app, db, stocked):
    corrupt(db, "UPDATE inventory_stock SET on_hand = -2 WHERE sku_id = :sku", sku=stocked.a.id)
    result = app.test_cli_runner().invoke(args=["portal", "inventory", "check", "--repair"])
    assert result.exit_code == 1
    assert "Only a stocktake can fix this" in result.output
    assert figures(db, stocked.a, stocked.sh)[0] == -2


# -- order checks through the extension points -------------------------------------------------

class FakeOrders:
    """What the fake orders plugin answers, set by each test."""

    live = set()
    lines = []
    asked = []


def _live_orders(order_refs):
    FakeOrders.asked.append(("live", list(order_refs)))
    return [ref for ref in order_refs if ref in FakeOrders.live]


def _lines_to_lock(merchant_ids):
    FakeOrders.asked.append(("lines", merchant_ids))
    return list(FakeOrders.lines)


class TestOrderChecks:
    """An application whose orders plugin is a fake implementing the hooks."""

    @pytest.fixture(scope="class")
    @classmethod
    def app(cls, tmp_path_factory):
        orders = fake_plugin("fakeorders", requires=["inventory"], inventory_live_orders=_live_orders,
                             inventory_lines_to_lock=_lines_to_lock)
        return make_app_with(tmp_path_factory, [orders], installed=("catalog", "inventory"), suffix="orders")

    @pytest.fixture(autouse=True)
    def answers(self):
        FakeOrders.live, FakeOrders.lines, FakeOrders.asked = set(), [], []

    def test_a_reservation_whose_order_is_not_live_is_found_and_released(self, db, stocked):
        s = stocked
        kept = lock(None, s.a.id, s.sh.id, 2, "O-1")
        orphan = lock(None, s.a.id, s.sh.id, 3, "O-2")
        FakeOrders.live = {"O-1"}
        assert order_checks_available()
        assert [(a.kind, a.lock_id, a.order_ref, a.repair) for a in check_stock()] == [
            ("orphan_lock", orphan.id, "O-2", "release")]
        assert ("live", ["O-1", "O-2"]) in FakeOrders.asked
        assert "released" in repair(None, "orphan_lock", lock_id=orphan.id)
        assert lock_status(db, orphan.id) == "released"
        assert lock_status(db, kept.id) == "live"
        assert figures(db, s.a, s.sh)[1] == 2 and check_stock() == []
        assert audit_actions(db)[-2:] == ["inventory.release", "inventory.repair"]

    def test_a_reservation_whose_order_came_back_is_not_released(self, db, stocked):
        held = lock(None, stocked.a.id, stocked.sh.id, 3, "O-2")
        assert [a.kind for a in check_stock()] == ["orphan_lock"]
        FakeOrders.live = {"O-2"}
        with pytest.raises(AnomalyGone):
            repair(None, "orphan_lock", lock_id=held.id)
        assert lock_status(db, held.id) == "live" and figures(db, stocked.a, stocked.sh)[1] == 3

    def test_an_order_line_short_of_its_reservation_is_found_not_repaired(self, db, stocked):
        s = stocked
        FakeOrders.live = {"O-1", "O-3"}
        FakeOrders.lines = [("O-1", "1", s.a.id, 3), ("O-3", "1", s.a.id, 2), ("O-4", "2", s.x.id, 1)]
        lock(None, s.a.id, s.sh.id, 3, "O-1", "1")
        lock(None, s.a.id, s.sh.id, 1, "O-3", "1")
        assert [(a.kind, a.order_ref, a.line_ref, a.quantity, a.expected, a.repair) for a in check_stock()] == [
            ("unlocked_line", "O-3", "1", 1, 2, ""), ("unlocked_line", "O-4", "2", 0, 1, "")]
        assert [a.order_ref for a in check_stock(merchant_ids=[s.m.id])] == ["O-3"]
        assert ("lines", {s.m.id}) in FakeOrders.asked
        with pytest.raises(CannotRepair):
            repair(None, "unlocked_line", s.a.id)

    def test_the_page_shows_order_anomalies_in_scope(self, db, client, login_as, stocked):
        s = stocked
        FakeOrders.lines = [("O-3", "1", s.a.id, 2), ("O-4", "2", s.x.id, 1)]
        orphan = lock(None, s.a.id, s.sh.id, 1, "O-9")
        login_as("merchant_admin", merchant=s.m)
        page = client.get("/inventory/anomalies/").text
        assert "Order checks need the orders module" not in page
        assert "Order O-3 line 1 needs 2 units reserved but its reservations hold 0." in page
        assert "allocate order O-3 again from the order" in page and "O-4" not in page
        assert f"Reservation {orphan.id} holds 1 units for order O-9" in page
        assert page.count('data-testid="repair-form"') == 1  # the release; the order line has none
        response = client.post("/inventory/anomalies/repair", headers=HX, data={
            "key": "k", "kind": "orphan_lock", "sku": s.a.id, "warehouse": s.sh.id, "state": "locked",
            "lock": orphan.id})
        assert "Repaired" in response.text
        assert lock_status(db, orphan.id) == "released"

    def test_a_plugin_switched_off_no_longer_answers(self, db, stocked):
        lock(None, stocked.a.id, stocked.sh.id, 3, "O-2")
        kernel().set_enabled("fakeorders", False)
        db.session.flush()
        assert not order_checks_available() and check_stock() == []


def test_the_extension_points_are_declared_and_documented(app):
    from plugins.inventory import hookspecs
    pm = app.extensions["portal.plugins"].pm
    for name in ("inventory_live_orders", "inventory_lines_to_lock"):
        assert getattr(pm.hook, name).spec.namespace is hookspecs
        assert "Called" in getattr(hookspecs, name).__doc__ and "Returns" in getattr(hookspecs, name).__doc__
