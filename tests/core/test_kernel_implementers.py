"""``Kernel.implementers``: which enabled plugins answer a plugin's own
extension point, so the plugin can tell "nobody answers" from "the answer is empty"."""
import types

import pytest

from portal.hookspecs import hookspec
from portal.plugins import Kernel, PluginError
from tests.core.plugin_fakes import fake_plugin


def _specs():
    specs = types.ModuleType("fake_store_specs")

    @hookspec
    def store_open_orders(order_refs):
        """Called to ask which orders are open. Args: order_refs. Returns: the open ones."""
    specs.store_open_orders = store_open_orders
    return specs


@pytest.fixture()
def kernel():
    store = fake_plugin("store", merchant_toggle=True)
    store.hookspecs = _specs()
    answering = fake_plugin("answering", requires=["store"], merchant_toggle=True,
                            store_open_orders=lambda order_refs: [])
    silent = fake_plugin("silent", requires=["store"])
    return Kernel([silent, answering, store])


def test_lists_the_enabled_plugins_implementing_a_hook(db, kernel):
    assert kernel.implementers("store_open_orders") == ["answering"]
    # an empty answer is still an answer: call() alone cannot tell it from nobody
    assert kernel.call("store_open_orders", order_refs=["A"]) == [[]]


def test_a_switched_off_plugin_no_longer_implements_it(db, kernel, factories):
    merchant = factories.merchant().id
    kernel.set_enabled("answering", False, merchant_id=merchant)
    assert kernel.implementers("store_open_orders", merchant_id=merchant) == []
    assert kernel.implementers("store_open_orders") == ["answering"]
    kernel.set_enabled("answering", False)
    assert kernel.implementers("store_open_orders") == []


def test_an_undeclared_hook_is_refused_by_name(db, kernel):
    with pytest.raises(PluginError, match="no hook named 'store_nothing'"):
        kernel.implementers("store_nothing")
