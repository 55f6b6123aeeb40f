"""Plugins built in memory for kernel tests, and applications that load them
beside installed plugins (each on a database of its own, so the session's
``app`` is never touched)."""
import os
import types

import pytest

from portal import config as config_module
from portal import plugins as kernel_module
from portal.hookspecs import hookimpl
from portal.plugins import PluginMeta
from tests.conftest import make_app, worker_database


def fake_plugin(name, requires=(), optional=(), merchant_toggle=False, title=None, **hooks):
    """A plugin module made in memory. ``hooks`` maps hook names to plain
    functions; they are marked ``@hookimpl`` here."""
    module = types.ModuleType(f"fake_plugin_{name}")
    # the template loader looks beside __file__ for a templates/ folder; there is none
    module.__file__ = os.path.join(os.path.dirname(__file__), f"fake_plugin_{name}", "__init__.py")
    module.PLUGIN = PluginMeta(name, title or name.title(), "0.1", tuple(requires), tuple(optional),
                               merchant_toggle, f"The {name} test plugin.")
    impls = types.ModuleType(f"fake_plugin_{name}.hooks")
    for hook_name, function in hooks.items():
        setattr(impls, hook_name, hookimpl(function))
    module.hooks = impls
    return module


def private_database(tmp_path_factory, suffix):
    """A database for one test application: a SQLite file, or a PostgreSQL
    database of its own when the suite runs on PostgreSQL."""
    url = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if url:
        return worker_database(url, f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{suffix}")
    return "sqlite:///" + str(tmp_path_factory.mktemp(suffix) / "portal.db")


def make_app_with(tmp_path_factory, fakes, installed=("hello",), suffix="fakes", **config):
    """An application whose plugins are the ``installed`` ones (found through
    their entry points) plus ``fakes``, with its schema created."""
    real_discover = kernel_module.discover
    url = private_database(tmp_path_factory, suffix)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(kernel_module, "discover", lambda names=None: real_discover(list(installed)) + list(fakes))
        return make_app(tmp_path_factory, SQLALCHEMY_DATABASE_URI=url,
                        SQLALCHEMY_ENGINE_OPTIONS=config_module._engine_options(url), **config)
