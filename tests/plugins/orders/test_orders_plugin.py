"""What the orders plugin declares, and the plugin switched off: its hooks are
skipped (the inventory's order checks are not made), its jobs do not run,
its permissions are none; switched on again, all is back."""
from datetime import timedelta

import pytest
from sqlalchemy import text

from plugins.inventory.services import check_stock, order_checks_available
from plugins.orders.services import cancel, place
from portal import jobs, plugins, settings
from portal.access import AccessDenied
from portal.models import utcnow
from portal.plugins import kernel
from tests.conftest import create_user
from tests.plugins.orders.helpers import buyer, order_in, place_one, state_of


def test_declares_permissions_settings_and_jobs(app, db):
    meta = kernel().meta("orders")
    assert meta.requires == ("catalog", "inventory") and not meta.merchant_toggle
    resources = app.extensions["portal.access"].resources
    assert {name: resources[name].defaults.get("merchant_staff") for name in
            ("orders.order", "orders.refund", "orders.invoice")} == {
        "orders.order": "write", "orders.refund": "read", "orders.invoice": "read"}
    assert resources["orders.refund"].defaults["finance"] == "manage"
    assert {key: settings.get(key) for key in ("orders.unpaid_cancel_minutes", "orders.auto_complete_days",
                                               "orders.after_sales_days")} == {
        "orders.unpaid_cancel_minutes": 30, "orders.auto_complete_days": 15, "orders.after_sales_days": 7}
    names = {name for name, job in jobs.registered().items() if job.plugin == "orders"}
    assert names == {"orders.cancel_unpaid", "orders.complete_shipped", "orders.close_after_sales"}


def test_switched_off_its_hooks_are_skipped_and_nothing_runs(db, store):
    order = place_one(store)
    staff = create_user("merchant_staff", store.m)
    # cancelled behind the orders' back: with the plugin on, an orphan reservation
    db.session.execute(text("UPDATE orders_order SET state = 'cancelled' WHERE id = :id"), {"id": order.id})
    assert [a.kind for a in check_stock()] == ["orphan_lock"]
    kernel().set_enabled("logistics", False)  # it requires the orders
    kernel().set_enabled("orders", False)
    db.session.flush()
    try:
        assert not order_checks_available()
        assert plugins.call("inventory_lines_to_lock", merchant_ids=None) == []
        assert check_stock() == []
        results = jobs.run_due(["orders.cancel_unpaid"], force=True, echo=lambda *_: None)
        assert results == {"orders.cancel_unpaid": "disabled"}
        with pytest.raises(AccessDenied):
            place(staff, "portal", buyer(), [(store.a.id, 1)])
    finally:
        kernel().set_enabled("orders", True)
        kernel().set_enabled("logistics", True)
        db.session.flush()
    assert order_checks_available() and [a.kind for a in check_stock()] == ["orphan_lock"]


def test_switched_off_the_unpaid_timer_waits_and_catches_up_when_on_again(db, store):
    order = place_one(store, now=utcnow() - timedelta(hours=1))
    kernel().set_enabled("logistics", False)  # it requires the orders
    kernel().set_enabled("orders", False)
    db.session.commit()
    try:
        jobs.run_due(["orders.cancel_unpaid"], force=True, echo=lambda *_: None)
        assert state_of(db, order) == "pending_payment"
    finally:
        kernel().set_enabled("orders", True)
        kernel().set_enabled("logistics", True)
        db.session.commit()
    assert jobs.run_due(["orders.cancel_unpaid"], force=True, echo=lambda *_: None) == {
        "orders.cancel_unpaid": "ok"}
    assert state_of(db, order) == "cancelled"


def test_the_inventory_cannot_be_switched_off_under_the_orders(db):
    from portal.plugins import ToggleRefused
    with pytest.raises(ToggleRefused, match="Orders requires Inventory"):
        kernel().set_enabled("inventory", False)


def test_a_staff_member_still_acts_when_switched_on_again(db, store):
    order = order_in(store, "pending_payment")
    staff = create_user("merchant_staff", store.m)
    kernel().set_enabled("logistics", False)  # it requires the orders
    kernel().set_enabled("orders", False)
    db.session.flush()
    with pytest.raises(AccessDenied):
        cancel(staff, order)
    kernel().set_enabled("orders", True)
    kernel().set_enabled("logistics", True)
    db.session.flush()
    cancel(staff, order)
    assert order.state == "cancelled"
