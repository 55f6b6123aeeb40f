"""Switching plugins on and off while the portal runs: through the Plugins page
(HTMX) and ``flask portal plugins``, for the platform and per merchant.

The hello plugin is the third-party package in tests/thirdparty/portal_hello,
installed with pip: it is found through its entry point like any plugin."""
from importlib.metadata import distribution

import pytest
from flask_admin import expose
from sqlalchemy import func, select

from portal import access, settings
from portal.extensions import db
from portal.models import AuditLog, PluginState, RoleGrant
from portal.plugins import kernel
from portal.views import PortalView
from tests.core.plugin_fakes import fake_plugin, make_app_with

HTMX = {"HX-Request": "true"}


def main_menu(html):
    """The navigation bar's menu, without the user menu or the page body."""
    start = html.index('id="main-menu"')
    return html[start:html.index("navbar-right", start)]


def plugin_row(html, name):
    """The Plugins table row of one plugin."""
    start = html.index(f'id="plugin-{name}"')
    return html[start:html.index("</tr>", start)]


def row_is_on(html, name):
    row = plugin_row(html, name)
    assert ("badge-success" in row) != ("badge-secondary" in row), row
    return "badge-success" in row


def audit_rows(action, target):
    """The audit rows of one action on one plugin, oldest first."""
    return db.session.execute(select(AuditLog).where(AuditLog.action == action, AuditLog.target == target)
                              .order_by(AuditLog.id)).scalars().all()


def toggle(client, name, enabled, merchant=None):
    url = f"/plugins/{name}/toggle" + (f"?merchant={merchant.id}" if merchant else "")
    return client.post(url, data={"enabled": "1" if enabled else "0"}, headers=HTMX)


def cli(app, *args):
    return app.test_cli_runner().invoke(args=["portal", "plugins", *args])


# -- the third-party plugin ---------------------------------------------------------------

def test_hello_comes_from_an_installed_package_through_its_entry_point(app):
    eps = [ep for ep in distribution("portal-hello").entry_points if ep.group == "portal.plugins"]
    assert [(ep.name, ep.value) for ep in eps] == [("hello", "portal_hello")]
    plugin = app.extensions["portal.plugins"].plugins["hello"]
    assert plugin.meta.title == "Hello" and plugin.meta.merchant_toggle
    assert "tests/thirdparty" not in plugin.module.__file__, "the installed copy is loaded, not the source"
    resource = app.extensions["portal.access"].resources["hello.greeting"]
    assert resource.plugin == "hello"


def test_hello_adds_its_page_menu_entry_widget_and_row(client, login_as):
    login_as("platform_admin", name="Ann")
    page = client.get("/hello/")
    assert page.status_code == 200
    assert "Hello, Ann!" in page.text
    home = client.get("/").text
    assert 'href="/hello/"' in main_menu(home)
    assert 'data-plugin="hello"' in home
    assert row_is_on(client.get("/plugins/").text, "hello")


def test_the_hello_permission_guards_its_page(client, login_as, db):
    role = access.Role(name="No greeting", kind="platform")
    db.session.add(role)
    db.session.flush()
    login_as(role)
    assert client.get("/hello/").status_code == 403
    home = client.get("/").text
    assert 'data-plugin="hello"' not in home


# -- platform toggles on the Plugins page -------------------------------------------------------

def test_disabling_hides_pages_menu_widget_and_permissions_and_keeps_grants_and_data(client, login_as, db, factories):
    merchant = factories.merchant()
    staff = factories.user("merchant_staff", merchant, name="Bo")
    settings.set_value("hello.greeting_text", "Servus", merchant_id=merchant.id)
    grants_before = db.session.execute(
        select(func.count()).select_from(RoleGrant).where(RoleGrant.resource == "hello.greeting")).scalar()
    assert grants_before > 0 and access.has_level("hello.greeting", "read", staff)

    login_as("platform_admin")
    response = toggle(client, "hello", False)
    assert response.status_code == 200
    assert response.headers["HX-Refresh"] == "true"
    assert "HX-Request" in response.headers["Vary"]
    assert response.text.lstrip().startswith('<div id="plugin-table">')
    assert not row_is_on(response.text, "hello")

    assert client.get("/hello/").status_code == 404
    home = client.get("/").text
    assert 'href="/hello/"' not in main_menu(home) and 'data-plugin="hello"' not in home
    assert not access.has_level("hello.greeting", "read", staff)
    assert db.session.execute(
        select(func.count()).select_from(RoleGrant).where(RoleGrant.resource == "hello.greeting")
    ).scalar() == grants_before
    assert settings.get("hello.greeting_text", merchant.id) == "Servus"
    [row] = audit_rows("plugin.disable", "hello")
    assert row.merchant_id is None and row.actor.endswith("@example.test")

    assert toggle(client, "hello", True).status_code == 200
    assert client.get("/hello/").status_code == 200
    assert 'href="/hello/"' in main_menu(client.get("/").text)
    assert access.has_level("hello.greeting", "read", staff)
    assert len(audit_rows("plugin.enable", "hello")) == 1
    client.post("/logout")
    client.post("/login", data={"email": staff.email, "password": "correct-horse-battery"})
    assert "Servus, Bo!" in client.get("/hello/").text


def test_a_toggle_without_htmx_redirects_back_with_a_message(client, login_as):
    login_as("platform_admin")
    response = client.post("/plugins/hello/toggle", data={"enabled": "0"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/plugins/")
    assert "Hello disabled." in client.get("/plugins/").text


def test_only_managers_toggle(client, login_as, factories):
    merchant = factories.merchant()
    login_as("merchant_staff", merchant)
    assert toggle(client, "hello", False).status_code == 403
    assert kernel().is_enabled("hello", merchant.id)
    login_as("platform_operator")
    assert toggle(client, "hello", False).status_code == 403
    assert kernel().is_enabled("hello")


def test_an_unknown_plugin_is_a_404(client, login_as):
    login_as("platform_admin")
    assert toggle(client, "nosuch", False).status_code == 404


# -- per merchant --------------------------------------------------------------------------------

def test_a_merchant_admin_switches_hello_off_for_its_own_store_only(client, login_as, db, factories):
    a, b = factories.merchant(), factories.merchant()
    staff_a = factories.user("merchant_staff", a)
    staff_b = factories.user("merchant_staff", b)
    login_as("merchant_admin", a)
    response = toggle(client, "hello", False)
    assert response.status_code == 200 and not row_is_on(response.text, "hello")
    [row] = audit_rows("plugin.disable", "hello")
    assert row.merchant_id == a.id
    assert db.session.execute(select(PluginState.merchant_id).where(PluginState.plugin == "hello")).scalars().all() == [a.id]

    for user, status in ((staff_a, 404), (staff_b, 200)):
        client.post("/logout")
        client.post("/login", data={"email": user.email, "password": "correct-horse-battery"})
        assert client.get("/hello/").status_code == status
        assert ('href="/hello/"' in main_menu(client.get("/").text)) == (status == 200)
    assert not access.has_level("hello.greeting", "read", staff_a)
    assert access.has_level("hello.greeting", "read", staff_b)
    client.post("/logout")
    login_as("platform_admin")
    assert client.get("/hello/").status_code == 200
    assert not row_is_on(client.get(f"/plugins/?merchant={a.id}").text, "hello")
    assert row_is_on(client.get(f"/plugins/?merchant={b.id}").text, "hello")


def test_a_platform_only_plugin_cannot_be_switched_per_merchant(client, login_as, app, factories):
    platform_only = next(p.name for p in kernel().plugins.values() if not p.meta.merchant_toggle)
    merchant = factories.merchant()
    login_as("merchant_admin", merchant)
    response = toggle(client, platform_only, False)
    assert "cannot be switched on or off per merchant" in response.text
    assert "HX-Refresh" not in response.headers
    assert kernel().is_enabled(platform_only, merchant.id)
    [row] = audit_rows("plugin.toggle_refused", platform_only)
    assert row.merchant_id == merchant.id and "per merchant" in row.summary
    result = cli(app, "disable", platform_only, "--merchant", merchant.code)
    assert result.exit_code == 1 and "cannot be switched on or off per merchant" in result.output


def test_platform_staff_switch_for_one_merchant_with_the_picker(client, login_as, factories):
    a, b = factories.merchant(), factories.merchant()
    login_as("platform_admin")
    page = client.get("/plugins/").text
    assert f'value="{a.id}"' in page and f'value="{b.id}"' in page
    assert toggle(client, "hello", False, merchant=a).status_code == 200
    assert not kernel().is_enabled("hello", a.id)
    assert kernel().is_enabled("hello", b.id) and kernel().is_enabled("hello")


# -- the command line --------------------------------------------------------------------------------

def test_cli_lists_disables_and_enables(app, client, login_as):
    listing = cli(app, "list")
    assert listing.exit_code == 0
    [line] = [ln for ln in listing.output.splitlines() if ln.startswith("hello ")]
    assert "enabled" in line and "per-merchant" in line

    result = cli(app, "disable", "hello")
    assert result.exit_code == 0, result.output
    assert "hello disabled." in result.output
    assert "disabled" in [ln for ln in cli(app, "list").output.splitlines() if ln.startswith("hello ")][0]
    login_as("platform_admin")
    assert client.get("/hello/").status_code == 404
    [row] = audit_rows("plugin.disable", "hello")
    assert row.actor == "cli"

    assert cli(app, "enable", "hello").exit_code == 0
    assert client.get("/hello/").status_code == 200


def test_cli_per_merchant(app, client, login_as, db, factories):
    a, b = factories.merchant(), factories.merchant()
    db.session.commit()
    result = cli(app, "disable", "hello", "--merchant", a.code)
    assert result.exit_code == 0 and f"for merchant {a.code}" in result.output
    assert "disabled" in [ln for ln in cli(app, "list", "--merchant", a.code).output.splitlines()
                          if ln.startswith("hello ")][0]
    assert "enabled" in [ln for ln in cli(app, "list", "--merchant", b.code).output.splitlines()
                         if ln.startswith("hello ")][0]
    login_as("merchant_staff", b)
    assert client.get("/hello/").status_code == 200
    login_as("merchant_staff", a)
    assert client.get("/hello/").status_code == 404


def test_cli_names_what_is_wrong(app):
    result = cli(app, "disable", "nosuch")
    assert result.exit_code == 1 and "There is no plugin named 'nosuch'" in result.output and "hello" in result.output
    result = cli(app, "disable", "hello", "--merchant", "NOPE")
    assert result.exit_code == 1 and "no merchant with the code 'NOPE'" in result.output


# -- dependencies: an application with plugins that build on hello -------------------------------------

class GreeterView(PortalView):
    @expose("/")
    def index(self):
        return "Greetings from the greeter"


def greeter_views():
    return [GreeterView(name="Greeter", endpoint="greeter", url="/greeter")]


class TestDependencies:
    """greeter requires hello (both per merchant); solo only uses hello if present."""

    @pytest.fixture(scope="class")
    @classmethod
    def app(cls, tmp_path_factory):
        return make_app_with(tmp_path_factory, [
            fake_plugin("greeter", requires=["hello"], merchant_toggle=True, portal_register_views=greeter_views),
            fake_plugin("solo", optional=["hello"]),
        ], suffix="toggle")

    def test_disabling_a_required_plugin_is_refused_naming_its_dependents(self, app, client, login_as):
        login_as("platform_admin")
        response = toggle(client, "hello", False)
        assert response.status_code == 200 and "HX-Refresh" not in response.headers
        assert "Greeter requires Hello; disable it first." in response.text
        assert 'id="toggle-error"' in response.text and row_is_on(response.text, "hello")
        assert client.get("/hello/").status_code == 200
        [row] = audit_rows("plugin.toggle_refused", "hello")
        assert "Greeter requires Hello" in row.summary
        result = cli(app, "disable", "hello")
        assert result.exit_code == 1 and "Greeter requires Hello" in result.output
        assert len(audit_rows("plugin.toggle_refused", "hello")) == 2

    def test_after_its_dependents_are_off_it_can_be_disabled_and_they_cannot_come_back(self, app, client, login_as):
        login_as("platform_admin")
        assert toggle(client, "greeter", False).headers.get("HX-Refresh") == "true"
        assert client.get("/greeter/").status_code == 404
        assert toggle(client, "hello", False).headers.get("HX-Refresh") == "true"
        assert client.get("/hello/").status_code == 404
        assert kernel().is_enabled("solo"), "an optional dependency does not hold solo back"

        response = toggle(client, "greeter", True)
        assert "Greeter requires Hello, which is disabled; enable it first." in response.text
        assert not row_is_on(response.text, "greeter")
        result = cli(app, "enable", "greeter")
        assert result.exit_code == 1 and "requires Hello" in result.output
        assert client.get("/greeter/").status_code == 404
        assert len(audit_rows("plugin.toggle_refused", "greeter")) == 2

        assert cli(app, "enable", "hello").exit_code == 0
        assert cli(app, "enable", "greeter").exit_code == 0
        assert client.get("/greeter/").status_code == 200

    def test_per_merchant_dependencies(self, app, client, login_as, db, factories):
        a, b = factories.merchant(), factories.merchant()
        db.session.commit()  # a refused toggle rolls the session back
        result = cli(app, "disable", "hello", "--merchant", a.code)
        assert result.exit_code == 1 and "Greeter requires Hello" in result.output
        assert cli(app, "disable", "greeter", "--merchant", a.code).exit_code == 0
        assert cli(app, "disable", "hello", "--merchant", a.code).exit_code == 0
        assert cli(app, "enable", "greeter", "--merchant", b.code).exit_code == 0

        login_as("merchant_admin", a)
        response = toggle(client, "greeter", True)
        assert "Greeter requires Hello, which is disabled" in response.text
        assert client.get("/greeter/").status_code == 404
        login_as("merchant_staff", b)
        assert client.get("/greeter/").status_code == 200 and client.get("/hello/").status_code == 200

    def test_a_merchant_cannot_enable_what_the_platform_switched_off(self, app, client, login_as, factories):
        merchant = factories.merchant()
        assert cli(app, "disable", "greeter").exit_code == 0
        login_as("merchant_admin", merchant)
        response = toggle(client, "greeter", True)
        assert "off for the whole platform" in response.text
        assert client.get("/greeter/").status_code == 404
