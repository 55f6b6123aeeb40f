"""The plugin kernel on its own: dependency order, loud start-up errors naming
the plugin, enabled state shared through the database, and hook calls that
skip disabled plugins."""
import itertools
import sys
import types
from importlib.metadata import EntryPoint

import pytest
from sqlalchemy import select

from flask_admin import expose

from portal import access, plugins as kernel_module
from portal.hookspecs import hookimpl, hookspec
from portal.models import PluginState, StateVersion
from portal.plugins import Kernel, PluginError, PluginMeta, ToggleRefused, dependency_order
from portal.views import PortalView
from tests.core.plugin_fakes import fake_plugin, make_app_with


def meta(name, requires=(), optional=()):
    return PluginMeta(name, name.title(), "1", tuple(requires), tuple(optional))


def names(metas):
    return [m.name for m in metas]


# -- dependency order -------------------------------------------------------------------

def test_requirements_and_present_optionals_come_first_whatever_the_input_order():
    metas = [meta("orders", requires=["catalog"], optional=["promotions", "absent"]),
             meta("catalog"), meta("promotions", requires=["catalog"]), meta("zeta"), meta("alpha")]
    orders = {tuple(names(dependency_order(list(p)))) for p in itertools.permutations(metas)}
    assert orders == {("alpha", "catalog", "promotions", "orders", "zeta")}


def test_a_missing_requirement_names_the_plugin_and_what_it_needs():
    with pytest.raises(PluginError, match=r"plugin 'orders' requires 'catalog', which is not installed"):
        dependency_order([meta("orders", requires=["catalog"])])


def test_an_absent_optional_plugin_is_fine():
    assert names(dependency_order([meta("orders", optional=["promotions"])])) == ["orders"]


def test_a_cycle_names_every_plugin_in_it():
    with pytest.raises(PluginError, match=r"dependency cycle: a -> b -> c -> a"):
        dependency_order([meta("a", requires=["b"]), meta("b", requires=["c"]), meta("c", requires=["a"])])


def test_a_cycle_through_an_optional_dependency_is_refused_too():
    with pytest.raises(PluginError, match="dependency cycle"):
        dependency_order([meta("a", optional=["b"]), meta("b", requires=["a"])])


def test_the_same_name_twice_is_refused():
    with pytest.raises(PluginError, match=r"plugin 'a' is installed twice"):
        Kernel([fake_plugin("a"), fake_plugin("a")])


# -- loud start-up errors ------------------------------------------------------------------

def test_a_misspelled_hook_names_the_plugin_and_the_hook():
    bad = fake_plugin("typo", portal_dashbord_widgets=lambda user: [])
    with pytest.raises(PluginError, match=r"(?s)plugin 'typo'.*unknown hook 'portal_dashbord_widgets'"):
        Kernel([fake_plugin("fine"), bad])


def test_a_hook_function_without_the_marker_is_refused():
    module = fake_plugin("unmarked")
    module.hooks.portal_dashboard_widgets = lambda user: []  # no @hookimpl
    with pytest.raises(PluginError, match=r"plugin 'unmarked'.*portal_dashboard_widgets is not marked"):
        Kernel([module])


def test_a_hook_asking_for_an_argument_the_spec_lacks_names_the_plugin():
    bad = fake_plugin("greedy", portal_dashboard_widgets=lambda user, merchant: [])
    with pytest.raises(PluginError, match=r"(?s)plugin 'greedy'.*'merchant'.*not be found in the hookspec"):
        Kernel([bad])


def test_a_package_without_plugin_metadata_is_refused_by_name():
    module = types.ModuleType("not_a_plugin")
    with pytest.raises(PluginError, match=r"not_a_plugin: no PLUGIN = PluginMeta"):
        Kernel([module])


def test_duplicate_permission_names_both_plugins():
    registry = access.Registry()
    registry.add_resource("shop", access.Resource("shop.item", "Items"))
    with pytest.raises(ValueError, match=r"plugin 'shop': permission 'shop.item' is already declared by 'shop'"):
        registry.add_resource("shop", access.Resource("shop.item", "Items again"))
    with pytest.raises(ValueError, match=r"plugin 'other': permission 'shop.thing' must start with 'other.'"):
        registry.add_resource("other", access.Resource("shop.thing", "Thing"))


def test_duplicate_permission_stops_create_app_naming_the_plugin(tmp_path_factory):
    twice = fake_plugin("twice", portal_register_permissions=lambda: [
        access.Resource("twice.thing", "Thing"), access.Resource("twice.thing", "Thing")])
    with pytest.raises(PluginError, match=r"plugin 'twice': permission 'twice.thing' is already declared"):
        make_app_with(tmp_path_factory, [twice], installed=(), suffix="dupperm")


class StrayView(PortalView):
    @expose("/")
    def index(self):
        return "stray"


def test_a_view_outside_the_plugin_url_prefix_stops_create_app(tmp_path_factory):
    stray = fake_plugin("stray", portal_register_views=lambda: [StrayView(name="X", endpoint="stray", url="/x")])
    with pytest.raises(PluginError, match=r"plugin 'stray': its pages must live under /stray/"):
        make_app_with(tmp_path_factory, [stray], installed=(), suffix="stray")


# -- discovery through entry points ---------------------------------------------------------

@pytest.fixture()
def entry_points_of(monkeypatch):
    """Replace the installed entry points with ``{name: module}``."""
    def install(mapping):
        eps = []
        for name, module in mapping.items():
            monkeypatch.setitem(sys.modules, module.__name__, module)
            eps.append(EntryPoint(name, module.__name__, kernel_module.ENTRY_POINT_GROUP))
        monkeypatch.setattr(kernel_module, "entry_points", lambda group: eps if group == kernel_module.ENTRY_POINT_GROUP else [])
    return install


def test_discover_loads_the_entry_points_and_limits_to_names(entry_points_of):
    a, b = fake_plugin("a"), fake_plugin("b")
    entry_points_of({"a": a, "b": b})
    assert kernel_module.discover() == [a, b]
    assert kernel_module.discover(["b"]) == [b]
    with pytest.raises(PluginError, match=r"plugin\(s\) not installed: c"):
        kernel_module.discover(["b", "c"])


def test_discover_refuses_an_entry_point_named_unlike_its_plugin(entry_points_of):
    entry_points_of({"hello": fake_plugin("hi")})
    with pytest.raises(PluginError, match=r"plugin 'hello': .*PLUGIN says 'hi'"):
        kernel_module.discover()


def test_discover_names_a_plugin_that_cannot_be_imported(monkeypatch):
    eps = [EntryPoint("broken", "no_such_module_for_the_portal", kernel_module.ENTRY_POINT_GROUP)]
    monkeypatch.setattr(kernel_module, "entry_points", lambda group: eps)
    with pytest.raises(PluginError, match=r"plugin 'broken': cannot import no_such_module_for_the_portal"):
        kernel_module.discover()


def test_the_hello_package_is_found_through_its_entry_point():
    import portal_hello
    assert portal_hello in kernel_module.discover(["hello"])
    assert portal_hello.PLUGIN.name == "hello"


# -- enabled state and calls -----------------------------------------------------------------

def recorder(calls, name, widget=True):
    """A ``portal_dashboard_widgets`` implementation that notes it ran."""
    def widgets(user):
        calls.append(name)
        return [name] if widget else None
    return widgets


@pytest.fixture()
def world():
    """base <- shop (per merchant) <- extra (per merchant); solo stands alone."""
    calls = []
    kernel = Kernel([
        fake_plugin("extra", requires=["shop"], merchant_toggle=True,
                    portal_dashboard_widgets=recorder(calls, "extra")),
        fake_plugin("shop", requires=["base"], merchant_toggle=True,
                    portal_dashboard_widgets=recorder(calls, "shop")),
        fake_plugin("solo", portal_dashboard_widgets=recorder(calls, "solo")),
        fake_plugin("base", portal_dashboard_widgets=recorder(calls, "base")),
    ])
    return kernel, calls


def widgets(kernel, merchant_id=None):
    return [w for result in kernel.call("portal_dashboard_widgets", merchant_id=merchant_id, user=None)
            for w in result]


def test_call_runs_enabled_plugins_in_dependency_order(db, world):
    kernel, calls = world
    assert kernel.names == ["base", "shop", "extra", "solo"]
    assert widgets(kernel) == ["base", "shop", "extra", "solo"]


def test_call_skips_a_plugin_off_for_the_platform_and_what_requires_it(db, world):
    kernel, calls = world
    kernel.set_enabled("solo", False)
    assert widgets(kernel) == ["base", "shop", "extra"]
    kernel.set_enabled("extra", False)
    kernel.set_enabled("shop", False)
    assert widgets(kernel) == ["base"]
    kernel.set_enabled("shop", True)
    kernel.set_enabled("solo", True)
    # the cached subset caller for the earlier state must not be reused
    assert widgets(kernel) == ["base", "shop", "solo"]


def test_call_skips_a_plugin_a_merchant_switched_off_for_that_merchant_only(db, world, factories):
    kernel, calls = world
    a, b = factories.merchant().id, factories.merchant().id
    kernel.set_enabled("extra", False, merchant_id=a)
    kernel.set_enabled("shop", False, merchant_id=a)
    assert widgets(kernel, merchant_id=a) == ["base", "solo"]
    assert widgets(kernel, merchant_id=b) == ["base", "shop", "extra", "solo"]
    assert widgets(kernel) == ["base", "shop", "extra", "solo"]


def test_a_merchant_row_for_a_platform_only_plugin_is_ignored(db, world, factories):
    from portal.models import PluginState
    kernel, calls = world
    merchant = factories.merchant().id
    db.session.add(PluginState(plugin="solo", merchant_id=merchant, enabled=False))
    kernel_module.bump_version(kernel_module.STATE_KEY)
    assert kernel.is_enabled("solo", merchant)
    with pytest.raises(ToggleRefused, match="cannot be switched on or off per merchant"):
        kernel.set_enabled("solo", False, merchant_id=merchant)


def test_call_all_calls_every_plugin_even_disabled_ones(db, world):
    kernel, calls = world
    kernel.set_enabled("solo", False)
    results = kernel.call_all("portal_dashboard_widgets", user=None)
    assert results == [("base", ["base"]), ("shop", ["shop"]), ("extra", ["extra"]), ("solo", ["solo"])]


def test_call_drops_none_results_and_refuses_unknown_hooks(db):
    calls = []
    kernel = Kernel([fake_plugin("quiet", portal_dashboard_widgets=recorder(calls, "quiet", widget=False))])
    assert kernel.call("portal_dashboard_widgets", user=None) == []
    assert calls == ["quiet"]
    with pytest.raises(PluginError, match="no hook named 'portal_nothing'"):
        kernel.call("portal_nothing")


def test_a_plugin_hookspec_taking_merchant_id_receives_it(db, factories):
    specs = types.ModuleType("fake_specs")

    @hookspec
    def shop_price(draft, merchant_id):
        """Called to adjust a price. Args: draft, merchant_id. Returns: a delta."""
    specs.shop_price = shop_price
    seen = []
    shop = fake_plugin("shop", merchant_toggle=True)
    shop.hookspecs = specs
    promo = fake_plugin("promo", requires=["shop"], merchant_toggle=True,
                        shop_price=lambda draft, merchant_id: seen.append((draft, merchant_id)) or 5)
    kernel = Kernel([shop, promo])
    merchant = factories.merchant().id
    assert kernel.call("shop_price", merchant_id=merchant, draft="d") == [5]
    assert seen == [("d", merchant)]
    kernel.set_enabled("promo", False, merchant_id=merchant)
    assert kernel.call("shop_price", merchant_id=merchant, draft="d") == []


def _switch_off_elsewhere(db, name):
    """What another process's toggle leaves in the database: the row and a new version."""
    db.session.add(PluginState(plugin=name, merchant_id=None, enabled=False))
    kernel_module.bump_version(kernel_module.STATE_KEY)


def test_another_process_sees_a_toggle_at_its_next_read(db, world):
    kernel, _ = world
    assert kernel.is_enabled("solo")
    db.session.add(PluginState(plugin="solo", merchant_id=None, enabled=False))
    db.session.flush()
    assert kernel.is_enabled("solo"), "same version: the cached state is used"
    kernel_module.bump_version(kernel_module.STATE_KEY)
    assert not kernel.is_enabled("solo")
    version = db.session.execute(select(StateVersion.version).where(StateVersion.key == "plugins")).scalar()
    assert kernel.state().version == version


def test_a_rolled_back_toggle_is_never_cached(db, world):
    kernel, _ = world
    kernel.set_enabled("solo", False)
    assert not kernel.is_enabled("solo")
    db.session.rollback()
    # another process commits a change that reaches the same version number
    _switch_off_elsewhere(db, "extra")
    db.session.commit()
    assert kernel.is_enabled("solo")
    assert not kernel.is_enabled("extra")


def test_the_state_is_read_once_per_request_and_a_toggle_refreshes_it(app, db, world):
    kernel, _ = world
    with app.test_request_context("/"):
        assert kernel.is_enabled("solo")
        _switch_off_elsewhere(db, "solo")
        assert kernel.is_enabled("solo"), "one request, one view of the state"
        kernel.set_enabled("base", True)  # a toggle in this request re-reads it
        assert not kernel.is_enabled("solo")
    kernel.invalidate()
    assert not kernel.is_enabled("solo")


def test_toggle_rules(db, world, factories):
    kernel, _ = world
    with pytest.raises(ToggleRefused, match=r"Shop requires Base; disable it first"):
        kernel.set_enabled("base", False)
    merchant = factories.merchant().id
    with pytest.raises(ToggleRefused, match=r"Extra requires Shop; disable it first"):
        kernel.set_enabled("shop", False, merchant_id=merchant)
    kernel.set_enabled("extra", False)
    kernel.set_enabled("shop", False)
    with pytest.raises(ToggleRefused, match=r"Extra requires Shop, which is disabled; enable it first"):
        kernel.set_enabled("extra", True)
    with pytest.raises(ToggleRefused, match=r"Shop is off for the whole platform"):
        kernel.set_enabled("shop", True, merchant_id=merchant)
    with pytest.raises(KeyError, match="no plugin named 'nope'"):
        kernel.set_enabled("nope", True)


def test_start_up_hooks_cannot_be_wrappers(db):
    def wrapper():
        yield
    module = fake_plugin("wrapping")
    module.hooks.portal_register_jobs = hookimpl(wrapper, wrapper=True)
    kernel = Kernel([module])
    with pytest.raises(PluginError, match="'wrapping': portal_register_jobs runs once per plugin"):
        kernel.call_all("portal_register_jobs")
