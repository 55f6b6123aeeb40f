"""The plugin kernel: metadata, discovery, dependency order, enabled state, calls.

Plugins are found through the entry-point group ``portal.plugins``; built-in
plugins are registered there exactly like third-party ones. Every installed
plugin is loaded at start-up; whether it is enabled lives in the database and is
cached per process behind a version counter, so every worker sees a toggle on
its next request.
"""
import importlib
import importlib.util
from dataclasses import dataclass, field
from importlib.metadata import entry_points

import pluggy
from flask import current_app, g, has_request_context
from sqlalchemy import select, update

from . import hookspecs
from .extensions import db
from .models import PluginState, StateVersion, utcnow

ENTRY_POINT_GROUP = "portal.plugins"
STATE_KEY = "plugins"


@dataclass(frozen=True)
class PluginMeta:
    """What a plugin says about itself in ``PLUGIN = PluginMeta(...)``."""

    name: str
    title: str
    version: str
    requires: tuple = ()
    optional: tuple = ()
    merchant_toggle: bool = False
    description: str = ""


class PluginError(RuntimeError):
    """A plugin cannot be loaded; the message names it. Raised at start-up."""


class ToggleRefused(Exception):
    """Enabling or disabling was refused; the message says why."""


@dataclass
class LoadedPlugin:
    meta: PluginMeta
    module: object
    hooks: object
    blueprints: set = field(default_factory=set)

    @property
    def name(self):
        return self.meta.name


def discover(names=None):
    """Return the plugin packages installed under the entry-point group.

    ``names`` limits the result (and fails loudly on a name not installed).
    """
    found = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if names is not None and ep.name not in names:
            continue
        try:
            found[ep.name] = ep.load()
        except Exception as exc:  # a broken plugin must not start silently
            raise PluginError(f"plugin {ep.name!r}: cannot import {ep.value}: {exc}") from exc
    if names is not None:
        missing = [n for n in names if n not in found]
        if missing:
            raise PluginError(f"plugin(s) not installed: {', '.join(missing)}")
    return list(found.values())


def _meta_of(module):
    meta = getattr(module, "PLUGIN", None)
    if not isinstance(meta, PluginMeta):
        raise PluginError(f"{module.__name__}: no PLUGIN = PluginMeta(...) in the package")
    return meta


def _submodule(module, name):
    full = f"{module.__name__}.{name}"
    if importlib.util.find_spec(full) is None:
        return None
    return importlib.import_module(full)


def dependency_order(metas):
    """Sort metas so every plugin comes after what it requires (and after the
    optional plugins that are present). Ties are broken by name, so the order
    never depends on installation order."""
    by_name = {}
    for meta in metas:
        if meta.name in by_name:
            raise PluginError(f"plugin {meta.name!r} is installed twice")
        by_name[meta.name] = meta
    for meta in metas:
        for req in meta.requires:
            if req not in by_name:
                raise PluginError(f"plugin {meta.name!r} requires {req!r}, which is not installed")
    ordered, state = [], {}

    def visit(name, path):
        if state.get(name) == "done":
            return
        if state.get(name) == "visiting":
            cycle = path[path.index(name):] + [name]
            raise PluginError(f"plugin {name!r} is in a dependency cycle: {' -> '.join(cycle)}")
        state[name] = "visiting"
        meta = by_name[name]
        deps = sorted(set(meta.requires) | {o for o in meta.optional if o in by_name})
        for dep in deps:
            visit(dep, path + [name])
        state[name] = "done"
        ordered.append(meta)

    for name in sorted(by_name):
        visit(name, [])
    return ordered


@dataclass(frozen=True)
class EnabledState:
    version: int
    platform_disabled: frozenset
    merchant_disabled: dict  # merchant id -> frozenset of names


class Kernel:
    """The loaded plugins of one application, and their enabled state."""

    def __init__(self, modules):
        metas = [_meta_of(m) for m in modules]
        by_name = {_meta_of(m).name: m for m in modules}
        self.pm = pluggy.PluginManager("portal")
        self.pm.add_hookspecs(hookspecs)
        self.plugins = {}
        for meta in dependency_order(metas):
            module = by_name[meta.name]
            self.plugins[meta.name] = LoadedPlugin(meta, module, _submodule(module, "hooks") or module)
        # every plugin's own extension points first, so any order of registration works
        for plugin in self.plugins.values():
            specs = _submodule(plugin.module, "hookspecs")
            if specs is not None:
                self.pm.add_hookspecs(specs)
        for plugin in self.plugins.values():
            self.pm.register(plugin.hooks, name=plugin.name)
        self._check_hooks()
        self._state = None
        self._callers = {}

    def _check_hooks(self):
        """A misspelled hook would otherwise never be called, silently."""
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            plugin = self.pm.get_name(exc.plugin) if exc.plugin else "?"
            raise PluginError(f"plugin {plugin!r}: {exc}") from exc

    # -- names and order ---------------------------------------------------------

    @property
    def names(self):
        return list(self.plugins)

    def meta(self, name):
        try:
            return self.plugins[name].meta
        except KeyError:
            raise KeyError(f"no plugin named {name!r}") from None

    def dependents(self, name):
        """Plugins that require ``name``."""
        return [p.name for p in self.plugins.values() if name in p.meta.requires]

    def claim_blueprint(self, plugin_name, blueprint_name):
        """Record that a blueprint's routes belong to a plugin, so the gate can
        answer 404 when the plugin is off."""
        self.plugins[plugin_name].blueprints.add(blueprint_name)

    def owner_of_blueprint(self, blueprint_name):
        for plugin in self.plugins.values():
            if blueprint_name in plugin.blueprints:
                return plugin.name
        return None

    # -- enabled state -----------------------------------------------------------

    def state(self):
        """The enabled state, re-read only when another process changed it.

        The version counter is read once per request (one primary-key lookup)."""
        if has_request_context() and "portal_plugin_state" in g:
            return g.portal_plugin_state
        version = db.session.execute(
            select(StateVersion.version).where(StateVersion.key == STATE_KEY)
        ).scalar() or 0
        if self._state is None or self._state.version != version:
            self._state = self._load_state(version)
        if has_request_context():
            g.portal_plugin_state = self._state
        return self._state

    def _load_state(self, version):
        platform, merchants = set(), {}
        for row in db.session.execute(select(PluginState)).scalars():
            if row.enabled or row.plugin not in self.plugins:
                continue
            if row.merchant_id is None:
                platform.add(row.plugin)
            else:
                merchants.setdefault(row.merchant_id, set()).add(row.plugin)
        return EnabledState(version, frozenset(platform),
                            {m: frozenset(v) for m, v in merchants.items()})

    def disabled(self, merchant_id=None):
        """Names of plugins that are off for the platform, or for this merchant."""
        state = self.state()
        off = set(state.platform_disabled)
        if merchant_id is not None:
            off |= {n for n in state.merchant_disabled.get(merchant_id, ())
                    if self.plugins[n].meta.merchant_toggle}
        # a plugin whose requirement is off cannot work either
        changed = True
        while changed:
            changed = False
            for plugin in self.plugins.values():
                if plugin.name not in off and any(r in off for r in plugin.meta.requires):
                    off.add(plugin.name)
                    changed = True
        return frozenset(off)

    def is_enabled(self, name, merchant_id=None):
        return name in self.plugins and name not in self.disabled(merchant_id)

    def invalidate(self):
        self._state = None
        if has_request_context():
            g.pop("portal_plugin_state", None)

    # -- calling hooks ------------------------------------------------------------

    def call(self, hook_name, merchant_id=None, **kwargs):
        """Call a hook on every plugin enabled for the platform (and for the
        merchant, when given). Returns the list of non-None results."""
        off = self.disabled(merchant_id)
        caller = self._callers.get((hook_name, off))
        if caller is None:
            hook = getattr(self.pm.hook, hook_name)
            remove = [self.plugins[n].hooks for n in off]
            caller = self.pm.subset_hook_caller(hook_name, remove) if remove else hook
            self._callers[(hook_name, off)] = caller
        return caller(**kwargs)

    def call_all(self, hook_name, **kwargs):
        """Call a start-up hook on every installed plugin, with the plugin name
        beside each result: ``[(plugin_name, result), ...]`` in dependency order."""
        impls = {self.pm.get_name(i.plugin): i for i in getattr(self.pm.hook, hook_name).get_hookimpls()}
        results = []
        for name in self.plugins:
            impl = impls.get(name)
            if impl is None:
                continue
            result = impl.function(*[kwargs[arg] for arg in impl.argnames])
            if result is not None:
                results.append((name, result))
        return results

    # -- toggling -----------------------------------------------------------------

    def check_toggle(self, name, enabled, merchant_id=None):
        """Raise ``ToggleRefused`` naming the reason when the change is not allowed."""
        meta = self.meta(name)
        if merchant_id is not None and not meta.merchant_toggle:
            raise ToggleRefused(f"{meta.title} cannot be switched on or off per merchant.")
        off = self.disabled(merchant_id)
        if enabled:
            if merchant_id is not None and name in self.state().platform_disabled:
                raise ToggleRefused(f"{meta.title} is off for the whole platform; "
                                    "the platform must enable it first.")
            missing = [self.plugins[r].meta.title for r in meta.requires if r in off]
            if missing:
                raise ToggleRefused(f"{meta.title} requires {', '.join(missing)}, "
                                    "which is disabled; enable it first.")
        else:
            users = [self.plugins[d].meta.title for d in self.dependents(name) if d not in off]
            if users:
                raise ToggleRefused(f"{', '.join(users)} require{'s' if len(users) == 1 else ''} "
                                    f"{meta.title}; disable {'it' if len(users) == 1 else 'them'} first.")

    def set_enabled(self, name, enabled, merchant_id=None):
        """Switch a plugin on or off (for the platform or one merchant) and tell
        every process. Does not commit; the caller writes the audit row and commits."""
        self.check_toggle(name, enabled, merchant_id)
        row = db.session.execute(
            select(PluginState).where(PluginState.plugin == name,
                                      PluginState.merchant_id.is_(None) if merchant_id is None
                                      else PluginState.merchant_id == merchant_id)
        ).scalar_one_or_none()
        if row is None:
            row = PluginState(plugin=name, merchant_id=merchant_id, enabled=enabled)
            db.session.add(row)
        row.enabled = enabled
        row.changed_at = utcnow()
        bump_version(STATE_KEY)
        self.invalidate()


def bump_version(key):
    """Increase a state counter so every process reloads what it caches."""
    result = db.session.execute(
        update(StateVersion).where(StateVersion.key == key).values(version=StateVersion.version + 1))
    if result.rowcount == 0:
        db.session.add(StateVersion(key=key, version=1))
        db.session.flush()


def kernel():
    """The current application's kernel."""
    return current_app.extensions["portal.plugins"]


def call(hook_name, merchant_id=None, **kwargs):
    """Call a per-request or event hook on the enabled plugins; see ``Kernel.call``."""
    return kernel().call(hook_name, merchant_id=merchant_id, **kwargs)


def is_enabled(name, merchant_id=None):
    return kernel().is_enabled(name, merchant_id)
