"""Meta-tests of the hook reference: every hookspec is documented (Called /
Args / Returns), and every core hook is really called by the portal.

A probe plugin implements every core hook and notes each call; the portal is
then driven the ordinary way (start-up, ``flask portal demo``, the dashboard,
a domain event). A new hookspec fails here until the probe implements it and
this test makes the portal call it."""
import inspect
from dataclasses import dataclass
from datetime import timedelta

import click
import pytest
from flask import Blueprint
from flask_admin import expose
from markupsafe import Markup

from portal import hookspecs, settings
from portal.access import DataScope, Resource
from portal.demo import DEMO_PASSWORD, load_demo
from portal.documents import DocumentKind
from portal.events import publish
from portal.jobs import Job
from portal.plugins import kernel
from portal.settings import SettingSpec
from portal.views import PortalView, Widget
from tests.core.plugin_fakes import fake_plugin, make_app_with


def spec_functions(module):
    """``{name: function}`` of the hookspecs a module declares."""
    return {name: fn for name, fn in inspect.getmembers(module, inspect.isfunction)
            if getattr(fn, "portal_spec", None) is not None}


CORE_SPECS = spec_functions(hookspecs)


def test_the_core_declares_its_hooks():
    assert len(CORE_SPECS) >= 13 and all(name.startswith("portal_") for name in CORE_SPECS)


def test_every_hookspec_says_when_it_is_called_and_what_it_takes_or_returns(app):
    modules = [hookspecs] + [m for m in (_plugin_specs(p.module) for p in kernel_of(app).plugins.values()) if m]
    undocumented = []
    for module in modules:
        for name, fn in spec_functions(module).items():
            doc = inspect.getdoc(fn) or ""
            if "Called" not in doc or not ("Args" in doc or "Returns" in doc):
                undocumented.append(f"{module.__name__}.{name}")
            if module is not hookspecs and not name.startswith(module.__name__.split(".")[-2] + "_"):
                undocumented.append(f"{module.__name__}.{name} (prefix it with the plugin's name)")
    assert not undocumented, "hookspecs without Called / Args / Returns: " + ", ".join(undocumented)


def kernel_of(app):
    return app.extensions["portal.plugins"]


def _plugin_specs(module):
    from portal.plugins import _specs_of
    return _specs_of(module)


# -- the probe: one implementation of every core hook ------------------------------------------

@dataclass
class ProbeEvent:
    merchant_id: int = None


class ProbeView(PortalView):
    @expose("/")
    def index(self):
        return "probe page"


def probe_blueprint():
    bp = Blueprint("probe_api", __name__, url_prefix="/probe/api")
    bp.add_url_rule("/ping", "ping", lambda: "pong")
    return bp


def probe_command(group):
    @group.command("probe")
    def probe():
        """Say that the probe's command exists."""
        click.echo("probe command ran")


def make_probe(calls):
    """The probe plugin: each hook notes its name and arguments in ``calls``."""
    def note(name, **kwargs):
        calls.append((name, kwargs))

    def portal_register_models():
        note("portal_register_models")
        return []

    def portal_register_permissions():
        note("portal_register_permissions")
        return [Resource("probe.thing", "Thing")]

    def portal_register_data_scopes():
        note("portal_register_data_scopes")
        return [DataScope("probe_bin", "Bin")]

    def portal_register_views(app):
        note("portal_register_views", app=app)
        return [ProbeView(name="Probe", endpoint="probe", url="/probe")]

    def portal_register_blueprints(app):
        note("portal_register_blueprints", app=app)
        return [probe_blueprint()]

    def portal_register_commands(group):
        note("portal_register_commands", group=group)
        probe_command(group)

    def portal_register_jobs():
        note("portal_register_jobs")
        return [Job("probe.tick", timedelta(hours=1), lambda: "ticked")]

    def portal_register_settings():
        note("portal_register_settings")
        return [SettingSpec("probe.flag", "Probe flag", "bool", False)]

    def portal_register_documents():
        note("portal_register_documents")
        return [DocumentKind("probe.note", "Note", "probe/note.html")]

    def portal_demo_data(merchants, echo):
        note("portal_demo_data", merchants=merchants)
        echo(f"probe demo for {len(merchants)} merchants")

    def portal_dashboard_widgets(user):
        note("portal_dashboard_widgets", user=user)
        return [Widget("Probe", f"probe widget for {user.email}", plugin="probe")]

    def portal_template_slot(slot, context):
        note("portal_template_slot", slot=slot)
        return Markup('<span id="probe-slot">probe</span>') if slot == "user_menu" else None

    def portal_on_event(event):
        note("portal_on_event", event=event)

    hooks = {name: fn for name, fn in locals().items() if name.startswith("portal_")}
    return fake_plugin("probe", **hooks)


def test_the_probe_implements_every_core_hook():
    probe = make_probe([])
    assert {n for n in vars(probe.hooks) if n.startswith("portal_")} == set(CORE_SPECS)


class TestEveryHookIsCalled:
    calls = []

    @pytest.fixture(scope="class")
    @classmethod
    def app(cls, tmp_path_factory):
        return make_app_with(tmp_path_factory, [make_probe(cls.calls)], installed=("hello",), suffix="hooks")

    def called(self):
        return {name for name, _ in self.calls}

    def test_start_up_calls_every_registration_hook_once(self, app):
        registration = {n for n in CORE_SPECS if n.startswith("portal_register_")}
        startup = [name for name, _ in self.calls if name.startswith("portal_register_")]
        assert sorted(startup) == sorted(registration)
        registry = app.extensions["portal.access"]
        assert registry.resources["probe.thing"].plugin == "probe"
        assert registry.scopes["probe_bin"].plugin == "probe"
        assert app.extensions["portal.jobs"]["probe.tick"].plugin == "probe"
        assert app.extensions["portal.documents"]["probe.note"].plugin == "probe"
        rules = {rule.rule for rule in app.url_map.iter_rules()}
        assert {"/probe/", "/probe/api/ping"} <= rules
        result = app.test_cli_runner().invoke(args=["portal", "probe"])
        assert result.exit_code == 0 and "probe command ran" in result.output

    def test_demo_dashboard_slots_and_events_call_the_per_request_hooks(self, app, client, db):
        echoed = []
        load_demo(echo=echoed.append)
        assert "probe demo for 3 merchants" in echoed
        assert settings.get("probe.flag") is False

        client.post("/login", data={"email": "admin@demo.test", "password": DEMO_PASSWORD})
        home = client.get("/").text
        assert "probe widget for admin@demo.test" in home
        assert 'id="probe-slot"' in home
        assert client.get("/probe/").text == "probe page"
        assert client.get("/probe/api/ping").text == "pong"

        event = ProbeEvent()
        publish(event)
        assert ("portal_on_event", {"event": event}) in self.calls
        assert set(CORE_SPECS) - self.called() == set(), "hooks the portal never called"

    def test_a_disabled_plugin_is_skipped_by_per_request_hooks(self, app, client, db):
        load_demo(echo=lambda line: None)
        kernel().set_enabled("probe", False)
        db.session.commit()
        before = len(self.calls)
        publish(ProbeEvent())
        client.post("/login", data={"email": "admin@demo.test", "password": DEMO_PASSWORD})
        home = client.get("/")
        assert "probe widget" not in home.text and 'id="probe-slot"' not in home.text
        assert client.get("/probe/").status_code == 404
        assert client.get("/probe/api/ping").status_code == 404
        assert self.calls[before:] == []
