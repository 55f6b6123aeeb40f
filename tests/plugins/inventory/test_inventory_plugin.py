"""The plugin as the portal sees it: what it declares, the check command, and
what switching it off does (there are no inventory pages yet)."""
import pytest
from sqlalchemy import update

from plugins.inventory.models import Stock
from plugins.inventory.services import (DuplicateWarehouse, InvalidRegion, UnknownWarehouse, create_warehouse,
                                        increase, update_warehouse)
from portal import access, jobs, settings
from portal.access import AccessDenied
from portal.plugins import kernel
from tests.conftest import create_user
from tests.plugins.inventory.helpers import audit_actions


def test_declares_permissions_scope_setting_and_job(app, db):
    reg = access.registry()
    assert {"inventory.stock", "inventory.adjust", "inventory.warehouse"} <= set(reg.resources)
    assert reg.scopes["warehouse"].plugin == "inventory"
    assert settings.get("inventory.lock_minutes") == 30
    assert jobs.registered()["inventory.expire_locks"].plugin == "inventory"


def test_warehouse_scope_choices_list_the_warehouses(db, shop):
    choices = dict(access.registry().scopes["warehouse"].choices())
    assert choices["*"] and str(shop.sh.id) in choices


def test_warehouses_are_validated_and_audited(db, shop):
    assert shop.sh.region_codes == ["CN"] and shop.sh.ships_to("cn-gd") and not shop.gz.ships_to("CN")
    with pytest.raises(DuplicateWarehouse):
        create_warehouse(None, shop.m.id, {"code": shop.sh.code.lower(), "name": "Again"})
    with pytest.raises(InvalidRegion):
        create_warehouse(None, shop.m.id, {"code": "NEW", "name": "New", "regions": "CN, China"})
    changed = update_warehouse(None, shop.gz.id, {"name": "Guangzhou", "regions": "cn-gd, cn-fj", "priority": 5})
    assert changed.region_codes == ["CN-FJ", "CN-GD"] and changed.priority == 5
    assert audit_actions(db).count("inventory.warehouse.create") == 4
    assert "inventory.warehouse.update" in audit_actions(db)


def test_merchant_staff_manage_only_their_own_warehouses(db, shop):
    admin = create_user("merchant_admin", shop.m)
    create_warehouse(admin, shop.m.id, {"code": "OWN1", "name": "Own"})
    with pytest.raises(UnknownWarehouse):
        create_warehouse(admin, shop.other.id, {"code": "OWN2", "name": "Theirs"})
    with pytest.raises(UnknownWarehouse):
        update_warehouse(admin, shop.far.id, {"name": "Mine now"})
    with pytest.raises(AccessDenied):
        create_warehouse(create_user("merchant_staff", shop.m), shop.m.id, {"code": "OWN3", "name": "Staff"})


def test_check_command_explains_anomalies(app, db, shop):
    runner = app.test_cli_runner()
    increase(None, shop.a.id, shop.sh.id, 3, "GRN")
    result = runner.invoke(args=["portal", "inventory", "check"])
    assert result.exit_code == 0 and "no anomaly" in result.output
    db.session.execute(update(Stock).values(on_hand=4))
    result = runner.invoke(args=["portal", "inventory", "check"])
    assert result.exit_code == 1
    assert f"SKU {shop.a.id} in warehouse {shop.sh.id}: on_hand is 4, ledger says 3" in result.output


def test_switched_off_its_job_does_not_run_and_its_permissions_are_none(db, shop):
    staff = create_user("merchant_staff", shop.m)
    kernel().set_enabled("inventory", False)
    db.session.flush()
    try:
        assert jobs.run_due(["inventory.expire_locks"], force=True, echo=lambda *_: None) == {
            "inventory.expire_locks": "disabled"}
        with pytest.raises(AccessDenied):
            increase(staff, shop.a.id, shop.sh.id, 1, "GRN")
    finally:
        kernel().set_enabled("inventory", True)
    increase(staff, shop.a.id, shop.sh.id, 1, "GRN")


def _low_stock_shop(shop):
    from plugins.inventory.services import set_policy
    increase(None, shop.a.id, shop.sh.id, 2, "GRN")
    increase(None, shop.x.id, shop.far.id, 1, "GRN")
    set_policy(None, shop.a.id, 0, 5)
    set_policy(None, shop.x.id, 0, 5)


def test_dashboard_shows_low_stock_of_the_users_merchant_only(client, login_as, db, shop):
    _low_stock_shop(shop)
    login_as("merchant_staff", shop.m)
    page = client.get("/").get_data(as_text=True)
    assert 'data-testid="inventory-low-stock"' in page and "Low stock" in page
    assert f"<td>{shop.a.code}</td>" in page and f"<td>{shop.x.code}</td>" not in page


def test_dashboard_shows_every_merchants_low_stock_to_the_platform(client, login_as, db, shop):
    _low_stock_shop(shop)
    login_as("platform_operator")
    page = client.get("/").get_data(as_text=True)
    assert f"<td>{shop.a.code}</td>" in page and f"<td>{shop.x.code}</td>" in page


def test_no_low_stock_card_while_the_plugin_is_off(client, login_as, db, shop):
    _low_stock_shop(shop)
    login_as("merchant_staff", shop.m)
    kernel().set_enabled("inventory", False)
    db.session.commit()
    try:
        assert 'data-testid="inventory-low-stock"' not in client.get("/").get_data(as_text=True)
    finally:
        kernel().set_enabled("inventory", True)
        db.session.commit()
    assert 'data-testid="inventory-low-stock"' in client.get("/").get_data(as_text=True)
