"""Settings: the typed service (values, overrides, validation, audit) and the
Settings page (who edits what, HTMX rows)."""
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select

from portal import settings
from portal.models import AuditLog, Currency, Setting
from portal.plugins import PluginError
from portal.settings import InvalidSetting, SettingSpec

LIMIT = SettingSpec("core.test_limit", "Test order limit", "int", 10, "Orders above need approval.",
                    per_merchant=True, minimum=1, maximum=1000, plugin="core")
FEE = SettingSpec("core.test_fee", "Test fee rate", "decimal", Decimal("0.05"), per_merchant=True,
                  minimum=Decimal(0), maximum=Decimal(1), plugin="core")
MODE = SettingSpec("core.test_mode", "Test mode", "choice", "auto", choices=(("auto", "Automatic"), ("manual", "Manual")),
                   plugin="core")
FLAG = SettingSpec("core.test_flag", "Test flag", "bool", False, plugin="core")
SECRET = SettingSpec("core.test_secret", "Test shared secret", "str", "", per_merchant=True, secret=True,
                     plugin="core")


@pytest.fixture()
def specs(app, db, monkeypatch):
    """Extra settings declared for the test only."""
    for spec in (LIMIT, FEE, MODE, FLAG, SECRET):
        monkeypatch.setitem(app.extensions["portal.settings"], spec.key, spec)


def audit_rows(action, target):
    return db_rows(select(AuditLog).where(AuditLog.action == action, AuditLog.target == target))


def db_rows(query):
    from portal.extensions import db
    return db.session.execute(query).scalars().all()


def stored(key):
    return db_rows(select(Setting).where(Setting.key == key))


# -- the service ------------------------------------------------------------------------

def test_default_then_platform_then_merchant_override(specs, factories):
    acme, blue = factories.merchant(), factories.merchant()
    assert settings.get("core.test_limit", acme.id) == 10
    settings.set_value("core.test_limit", "50", actor="test")
    settings.set_value("core.test_limit", " 200 ", acme.id, actor="test")
    assert settings.get("core.test_limit") == 50
    assert settings.get("core.test_limit", acme.id) == 200
    assert settings.get("core.test_limit", blue.id) == 50  # no override: the platform's value


def test_platform_only_setting_has_no_merchant_value(specs, factories):
    acme = factories.merchant()
    with pytest.raises(InvalidSetting, match="Test mode is set for the whole platform"):
        settings.set_value("core.test_mode", "manual", acme.id)
    with pytest.raises(InvalidSetting, match="Test mode is set for the whole platform"):
        settings.reset("core.test_mode", acme.id)
    assert stored("core.test_mode") == []


@pytest.mark.parametrize("key, raw, message", [
    ("core.test_limit", "abc", "Test order limit: 'abc' is not a whole number."),
    ("core.test_limit", "1_000", "Test order limit: '1_000' is not a whole number."),
    ("core.test_limit", "2.5", "Test order limit: '2.5' is not a whole number."),
    ("core.test_limit", "0", "Test order limit: must be at least 1."),
    ("core.test_limit", "1001", "Test order limit: must be at most 1000."),
    ("core.test_fee", "0,5", "Test fee rate: '0,5' is not a number."),
    ("core.test_fee", "NaN", "Test fee rate: 'NaN' is not a number."),
    ("core.test_fee", "1.01", "Test fee rate: must be at most 1."),
    ("core.test_mode", "sometimes", "Test mode: choose one of auto, manual."),
    ("core.test_flag", "maybe", "Test flag: 'maybe' is not yes or no."),
    ("core.reporting_currency", "XYZ", "Reporting currency: XYZ is not a known currency code"),
])
def test_invalid_values_name_the_setting_and_write_nothing(specs, key, raw, message):
    with pytest.raises(InvalidSetting) as caught:
        settings.set_value(key, raw, actor="test")
    assert str(caught.value).startswith(message)
    assert stored(key) == []
    assert audit_rows("setting.change", key) == []


def test_values_keep_their_type(specs):
    assert settings.set_value("core.test_fee", "0.125") == Decimal("0.125")
    assert settings.get("core.test_fee") == Decimal("0.125")
    assert isinstance(settings.get("core.test_fee"), Decimal)
    assert settings.set_value("core.test_flag", "true") is True
    assert settings.get("core.test_flag") is True
    assert settings.set_value("core.test_flag", "false") is False
    assert settings.get("core.test_flag") is False


def test_reporting_currency_is_normalised_and_must_be_active(specs, db):
    assert settings.set_value("core.reporting_currency", "usd") == "USD"
    assert settings.get("core.reporting_currency") == "USD"
    dem = db.session.get(Currency, "DEM")  # historic: inactive since ensure_currencies
    assert dem is not None and not dem.active
    with pytest.raises(InvalidSetting, match="DEM is not an active currency"):
        settings.set_value("core.reporting_currency", "DEM")


def test_changes_are_audited_once_with_old_and_new_value(specs, factories):
    acme = factories.merchant()
    settings.set_value("core.test_limit", "20", acme.id, actor="tester")
    settings.set_value("core.test_limit", "30", acme.id, actor="tester")
    settings.set_value("core.test_limit", "30", acme.id, actor="tester")  # unchanged: no row
    rows = audit_rows("setting.change", "core.test_limit")
    assert [r.summary for r in rows] == ['{"from": null, "to": 20}', '{"from": 20, "to": 30}']
    assert {r.merchant_id for r in rows} == {acme.id}
    assert rows[0].actor == "tester"


def test_reset_falls_back_and_is_audited(specs, factories):
    acme = factories.merchant()
    settings.set_value("core.test_limit", "40")
    settings.set_value("core.test_limit", "99", acme.id)
    assert settings.reset("core.test_limit", acme.id, actor="tester") is True
    assert settings.get("core.test_limit", acme.id) == 40
    assert settings.reset("core.test_limit", acme.id) is False  # nothing left to reset
    assert settings.reset("core.test_limit") is True
    assert settings.get("core.test_limit", acme.id) == 10
    assert len(audit_rows("setting.reset", "core.test_limit")) == 2


def test_describe_groups_rows_with_each_value(specs, factories):
    acme = factories.merchant()
    settings.set_value("core.test_limit", "40")
    settings.set_value("core.test_limit", "99", acme.id)
    row = {r.spec.key: r for r in settings.describe(acme.id)["core"]}["core.test_limit"]
    assert (row.platform, row.override, row.effective) == (40, 99, 99)
    assert row.has_platform and row.has_override
    mode = {r.spec.key: r for r in settings.describe(acme.id)["core"]}["core.test_mode"]
    assert (mode.has_platform, mode.has_override, mode.effective) == (False, False, "auto")


class FakeKernel:
    def __init__(self, declared):
        self.declared = declared

    def call_all(self, hook):
        assert hook == "portal_register_settings"
        return self.declared


@pytest.mark.parametrize("declared, message", [
    ([("shop", [SettingSpec("other.x", "X")])], "setting 'other.x' must start with 'shop.'"),
    ([("shop", [SettingSpec("shop.x", "X"), SettingSpec("shop.x", "X")])], "'shop.x' is declared twice"),
    ([("shop", [SettingSpec("shop.x", "X", "float")])], "unknown type 'float'"),
    ([("shop", [SettingSpec("shop.x", "X", "int", "ten")])], "'shop.x' has a bad default"),
    ([("shop", [SettingSpec("shop.x", "X", "choice", "c", choices=(("a", "A"),))])], "'shop.x' has a bad default"),
])
def test_bad_declarations_fail_at_start_up(declared, message):
    with pytest.raises(PluginError, match=message):
        settings.init_app(Flask("t"), FakeKernel(declared))


def test_defaults_are_typed_at_start_up_and_reporting_currency_follows_config():
    app = Flask("t")
    app.config["PORTAL_REPORTING_CURRENCY"] = "eur"
    settings.init_app(app, FakeKernel([("shop", [SettingSpec("shop.fee", "Fee", "decimal", "0.10")])]))
    registry = app.extensions["portal.settings"]
    assert registry["shop.fee"].default == Decimal("0.10") and registry["shop.fee"].plugin == "shop"
    assert registry["core.reporting_currency"].default == "EUR"


# -- the page ------------------------------------------------------------------------------

def test_page_lists_settings_grouped_with_values(specs, client, login_as):
    login_as("platform_admin")
    settings.set_value("core.test_limit", "77")
    r = client.get("/settings/")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "Reporting currency" in html and "Test order limit" in html and 'id="settings-group-core"' in html
    assert '<strong data-effective="core.test_limit">77</strong>' in html


def test_platform_admin_saves_and_resets_a_platform_value(specs, client, login_as):
    login_as("platform_admin")
    r = client.post("/settings/save", data={"key": "core.test_limit", "scope": "platform", "value": "300"})
    assert r.status_code == 302
    assert settings.get("core.test_limit") == 300
    assert "Test order limit saved." in client.get("/settings/").get_data(as_text=True)
    r = client.post("/settings/reset", data={"key": "core.test_limit", "scope": "platform"},
                    headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "is back to its default" in r.get_data(as_text=True)
    assert settings.get("core.test_limit") == 10


def test_htmx_save_with_a_bad_value_shows_the_error_in_the_row(specs, client, login_as):
    login_as("platform_admin")
    r = client.post("/settings/save", data={"key": "core.test_limit", "scope": "platform", "value": "lots"},
                    headers={"HX-Request": "true"})
    assert r.status_code == 200  # HTMX swaps 2xx only
    html = r.get_data(as_text=True)
    assert html.lstrip().startswith(("{#", "<tr")) and "<html" not in html
    assert "Test order limit: &#39;lots&#39; is not a whole number." in html
    assert 'value="lots"' in html  # the typed value is kept to correct it
    assert stored("core.test_limit") == []


def test_merchant_admin_edits_only_its_own_overrides(specs, client, login_as, factories):
    acme, blue = factories.merchant(), factories.merchant()
    login_as("merchant_admin", merchant=acme)
    page = client.get("/settings/").get_data(as_text=True)
    assert "Override for %s" % acme.code in page
    # platform values are out of reach
    r = client.post("/settings/save", data={"key": "core.test_limit", "scope": "platform", "value": "5"})
    assert r.status_code == 403
    # a per-merchant value lands on its own merchant, whatever merchant the form names
    r = client.post("/settings/save", data={"key": "core.test_limit", "scope": "merchant", "value": "5",
                                            "merchant": str(blue.id)})
    assert r.status_code == 302
    assert settings.get("core.test_limit", acme.id) == 5
    assert settings.get("core.test_limit", blue.id) == 10
    # platform-wide settings have no override
    r = client.post("/settings/save", data={"key": "core.test_mode", "scope": "merchant", "value": "manual"})
    assert r.status_code == 403


def test_platform_admin_sees_and_resets_a_merchant_override(specs, client, login_as, factories):
    acme = factories.merchant()
    settings.set_value("core.test_limit", "55", acme.id)
    login_as("platform_admin")
    html = client.get(f"/settings/?merchant={acme.id}").get_data(as_text=True)
    assert '<strong data-effective="core.test_limit">55</strong>' in html
    r = client.post("/settings/reset", data={"key": "core.test_limit", "scope": "merchant", "merchant": acme.id})
    assert r.status_code == 302
    assert settings.get("core.test_limit", acme.id) == 10


def test_read_only_and_no_access(specs, client, login_as, login, factories):
    login_as("platform_operator")  # core.settings: read
    html = client.get("/settings/").get_data(as_text=True)
    assert "Test order limit" in html and 'action="/settings/save"' not in html
    r = client.post("/settings/save", data={"key": "core.test_limit", "scope": "platform", "value": "5"})
    assert r.status_code == 403
    assert client.post("/settings/save", data={"key": "core.nope", "scope": "platform"}).status_code == 404
    login(factories.user("merchant_staff", factories.merchant()))
    assert client.get("/settings/").status_code == 403


def test_platform_staff_cannot_open_a_merchant_outside_their_scope(specs, client, login_as):
    login_as("platform_admin")
    assert client.get("/settings/?merchant=999999").status_code == 404


# -- secret settings --------------------------------------------------------------------

def test_a_secret_is_audited_as_changed_never_with_its_value(specs, factories):
    acme = factories.merchant()
    settings.set_value("core.test_secret", "first-s3cret-value", actor="tester")
    settings.set_value("core.test_secret", "second-s3cret-value", actor="tester")
    settings.set_value("core.test_secret", "acme-s3cret-value", acme.id, actor="tester")
    settings.set_value("core.test_secret", "", actor="tester")
    assert settings.reset("core.test_secret", acme.id, actor="tester") is True
    assert settings.get("core.test_secret") == ""
    rows = audit_rows("setting.change", "core.test_secret") + audit_rows("setting.reset", "core.test_secret")
    assert [r.summary for r in rows] == [
        '{"secret": "changed", "was_set": false}', '{"secret": "changed", "was_set": true}',
        '{"secret": "changed", "was_set": false}', '{"secret": "cleared", "was_set": true}',
        '{"secret": "removed"}']
    assert not any("s3cret" in r.summary for r in rows)


def test_the_page_never_shows_a_secret_back(specs, client, login_as):
    login_as("platform_admin")
    settings.set_value("core.test_secret", "page-s3cret-value")
    html = client.get("/settings/").get_data(as_text=True)
    assert "Test shared secret" in html and "s3cret" not in html
    assert '<span data-secret="core.test_secret">••••••••</span>' in html
    assert 'type="password" value=""' in html
    # a bad save answers with the row: the typed value is not sent back either
    r = client.post("/settings/save", data={"key": "core.test_secret", "scope": "platform", "value": "   "},
                    headers={"HX-Request": "true"})
    row = r.get_data(as_text=True)
    assert "type the new value (the stored one is not shown)" in row and "s3cret" not in row
    assert settings.get("core.test_secret") == "page-s3cret-value", "an empty field keeps the secret"
    r = client.post("/settings/save", data={"key": "core.test_secret", "scope": "platform",
                                            "value": "new-s3cret-value"}, headers={"HX-Request": "true"})
    assert "Test shared secret saved." in r.get_data(as_text=True) and "s3cret" not in r.get_data(as_text=True)
    assert settings.get("core.test_secret") == "new-s3cret-value"
