"""The plugin kernel: metadata, discovery, dependency order, enabled state, calls.

Plugins are found through the entry-point group ``portal.plugins``; built-in
plugins are registered there exactly like third-party ones. Every installed
plugin is loaded at start-up; whether it is enabled lives in the database and is
cached per process behind a version counter, so every worker sees a toggle on
its next request.
"""
import importlib
import importlib.util
import inspect
from dataclasses import dataclass, field
from importlib.metadata import entry_points

import pluggy
from flask import current_app, g, has_app_context, has_request_context
from flask_babel import gettext as _, ngettext
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session

from . import hookspecs
from .extensions import db
from .models import PluginState, StateVersion, utcnow

ENTRY_POINT_GROUP = "portal.plugins"
STATE_KEY = "plugins"
HOOK_PREFIX = "portal_"
# set on the database session while it holds an uncommitted toggle
_DIRTY = "portal_plugin_state_dirty"


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _toggle_settled(session):
    session.info.pop(_DIRTY, None)


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
    """An installed plugin: its metadata, package, hooks object and the
    endpoints (Flask-Admin views, blueprints) it owns."""

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
    An entry point's name must be the name in its ``PLUGIN``.
    """
    found = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if names is not None and ep.name not in names:
            continue
        try:
            module = ep.load()
        except Exception as exc:  # a broken plugin must not start silently
            raise PluginError(f"plugin {ep.name!r}: cannot import {ep.value}: {exc}") from exc
        meta = _meta_of(module)
        if meta.name != ep.name:
            raise PluginError(f"plugin {ep.name!r}: its entry point is named {ep.name!r} but "
                              f"{ep.value}.PLUGIN says {meta.name!r}; use one name")
        found[ep.name] = module
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
    """``<package>.<name>`` when the package has it; None for a plain module
    (a plugin may be a single module, or a module built in a test)."""
    if not hasattr(module, "__path__"):
        return None
    full = f"{module.__name__}.{name}"
    try:
        if importlib.util.find_spec(full) is None:
            return None
        return importlib.import_module(full)
    except Exception as exc:
        raise PluginError(f"plugin {_meta_of(module).name!r}: cannot import {full}: {exc}") from exc


def _hooks_of(module):
    """The object holding a plugin's ``@hookimpl`` functions: its ``hooks``
    submodule, else a ``hooks`` attribute, else the package itself."""
    return _submodule(module, "hooks") or getattr(module, "hooks", None) or module


def _specs_of(module):
    """A plugin's own extension points: its ``hookspecs`` submodule (or, for a
    plain module, a ``hookspecs`` attribute other than the core's), or None."""
    if hasattr(module, "__path__"):
        return _submodule(module, "hookspecs")
    specs = getattr(module, "hookspecs", None)
    return None if specs is hookspecs else specs


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


class _PluginManager(pluggy.PluginManager):
    """Refuses a ``portal_*`` function without ``@hookimpl``: pluggy would
    skip it silently, so a forgotten marker would look like a dead hook."""

    def parse_hookimpl_opts(self, plugin, name):
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and name.startswith(HOOK_PREFIX) \
                and inspect.isroutine(inspect.getattr_static(plugin, name, None)):
            raise pluggy.PluginValidationError(plugin, f"{name} is not marked with @hookimpl")
        return opts


@dataclass(frozen=True)
class EnabledState:
    """The plugins switched off, as read from the database at ``version``."""

    version: int
    platform_disabled: frozenset
    merchant_disabled: dict  # merchant id -> frozenset of names
    # what ``Kernel.disabled`` worked out per merchant: asked many times per request
    resolved: dict = field(default_factory=dict, compare=False)


class Kernel:
    """The loaded plugins of one application, and their enabled state."""

    def __init__(self, modules):
        by_name = {}
        for module in modules:
            by_name.setdefault(_meta_of(module).name, module)
        self.pm = _PluginManager("portal")
        self.pm.add_hookspecs(hookspecs)
        self.plugins = {}
        for meta in dependency_order([_meta_of(m) for m in modules]):
            module = by_name[meta.name]
            self.plugins[meta.name] = LoadedPlugin(meta, module, _hooks_of(module))
        # every plugin's own extension points first, so any order of registration works
        for plugin in self.plugins.values():
            specs = _specs_of(plugin.module)
            if specs is not None:
                self.pm.add_hookspecs(specs)
        # pluggy calls the last registered first: registering in reverse makes
        # ``call`` run in dependency order, like ``call_all``
        for plugin in reversed(list(self.plugins.values())):
            self._register(plugin)
        self._check_hooks()
        self._state = None
        self._callers = {}

    def _register(self, plugin):
        try:
            self.pm.register(plugin.hooks, name=plugin.name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {plugin.name!r}: {exc}") from exc

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
        """Plugin names in dependency order."""
        return list(self.plugins)

    def meta(self, name):
        """The ``PluginMeta`` of an installed plugin; KeyError naming it otherwise."""
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
        """The plugin owning a blueprint (or Flask-Admin endpoint), or None."""
        for plugin in self.plugins.values():
            if blueprint_name in plugin.blueprints:
                return plugin.name
        return None

    # -- enabled state -----------------------------------------------------------

    def state(self):
        """The enabled state, re-read only when another process changed it.

        The version counter is read once per request (one primary-key lookup).
        While this session holds an uncommitted toggle, the state is read
        fresh and not cached: it may still be rolled back."""
        if has_request_context() and "portal_plugin_state" in g:
            return g.portal_plugin_state
        version = versions().get(STATE_KEY, 0)
        if db.session.info.get(_DIRTY):
            state = self._load_state(version)
        else:
            state = self._state
            if state is None or state.version != version:
                state = self._state = self._load_state(version)
        if has_request_context():
            g.portal_plugin_state = state
        return state

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
        if merchant_id in state.resolved:
            return state.resolved[merchant_id]
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
        state.resolved[merchant_id] = frozenset(off)
        return state.resolved[merchant_id]

    def is_enabled(self, name, merchant_id=None):
        """Is the plugin installed and on (for the platform, and for the merchant)?"""
        return name in self.plugins and name not in self.disabled(merchant_id)

    def invalidate(self):
        """Forget the cached state; the next ``state()`` reads the database."""
        self._state = None
        if has_app_context():
            g.pop("portal_plugin_state", None)

    # -- calling hooks ------------------------------------------------------------

    def call(self, hook_name, merchant_id=None, **kwargs):
        """Call a hook on every plugin enabled for the platform (and for the
        merchant, when given), in dependency order. Returns the list of
        non-None results (one result for a ``firstresult`` hook).

        ``merchant_id`` is passed on too when the hook's spec takes it."""
        hook = getattr(self.pm.hook, hook_name, None)
        if hook is None or not hook.has_spec():
            raise PluginError(f"no hook named {hook_name!r} is declared")
        if "merchant_id" in hook.spec.argnames:
            kwargs["merchant_id"] = merchant_id
        off = self.disabled(merchant_id)
        caller = self._callers.get((hook_name, off))
        if caller is None:
            remove = [self.plugins[n].hooks for n in off]
            caller = self.pm.subset_hook_caller(hook_name, remove) if remove else hook
            self._callers[(hook_name, off)] = caller
        return caller(**kwargs)

    def implementers(self, hook_name, merchant_id=None):
        """Names of the plugins enabled (for the platform, and for the merchant
        when given) that implement a hook, in dependency order: lets a plugin
        tell "nobody answers this extension point" from "the answer is empty"."""
        hook = getattr(self.pm.hook, hook_name, None)
        if hook is None or not hook.has_spec():
            raise PluginError(f"no hook named {hook_name!r} is declared")
        off = self.disabled(merchant_id)
        names = {impl.plugin_name for impl in hook.get_hookimpls()}
        return [name for name in self.plugins if name in names and name not in off]

    def call_all(self, hook_name, **kwargs):
        """Call a start-up hook on every installed plugin, with the plugin name
        beside each result: ``[(plugin_name, result), ...]`` in dependency order."""
        hook = getattr(self.pm.hook, hook_name)
        impls = {impl.plugin_name: impl for impl in hook.get_hookimpls()}
        results = []
        for name in self.plugins:
            impl = impls.get(name)
            if impl is None:
                continue
            if impl.hookwrapper or impl.wrapper:
                raise PluginError(f"plugin {name!r}: {hook_name} runs once per plugin; it cannot be a wrapper")
            result = impl.function(*[kwargs[arg] for arg in impl.argnames])
            if result is not None:
                results.append((name, result))
        return results

    # -- toggling -----------------------------------------------------------------

    def check_toggle(self, name, enabled, merchant_id=None):
        """Raise ``ToggleRefused`` naming the reason when the change is not allowed."""
        meta = self.meta(name)
        if merchant_id is not None and not meta.merchant_toggle:
            raise ToggleRefused(_("%(title)s cannot be switched on or off per merchant.", title=_(meta.title)))
        off = self.disabled(merchant_id)
        if enabled:
            if merchant_id is not None and name in self.state().platform_disabled:
                raise ToggleRefused(_("%(title)s is off for the whole platform; "
                                      "the platform must enable it first.", title=_(meta.title)))
            missing = [_(self.plugins[r].meta.title) for r in meta.requires if r in off]
            if missing:
                raise ToggleRefused(_("%(title)s requires %(missing)s, which is disabled; enable it first.",
                                      title=_(meta.title), missing=", ".join(missing)))
        else:
            users = [_(self.plugins[d].meta.title) for d in self.dependents(name) if d not in off]
            if users:
                raise ToggleRefused(ngettext("%(users)s requires %(title)s; disable it first.",
                                             "%(users)s require %(title)s; disable them first.", len(users),
                                             users=", ".join(users), title=_(meta.title)))

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
        db.session.info[_DIRTY] = True
        self.invalidate()


# the counters read on every request (see ``versions``)
VERSION_KEYS = (STATE_KEY, "access")


def versions():
    """Every state counter, read in one query once per request: what each
    process caches (plugin state, users' access) is valid while its counter
    is unchanged."""
    if has_request_context() and "portal_versions" in g:
        return g.portal_versions
    values = dict(db.session.execute(select(StateVersion.key, StateVersion.version)).all())
    if has_request_context():
        g.portal_versions = values
    return values


def version_columns():
    """The counters as scalar subqueries, so a query that runs on every request
    anyway (the session lookup) brings them along: one round trip for the gate."""
    return [select(StateVersion.version).where(StateVersion.key == key).scalar_subquery().label(key)
            for key in VERSION_KEYS]


def remember_versions(row):
    """Keep counters read by ``version_columns()`` for this request."""
    if has_request_context():
        g.portal_versions = {key: getattr(row, key) or 0 for key in VERSION_KEYS}


def bump_version(key, connection=None):
    """Increase a state counter so every process reloads what it caches.

    ``connection`` lets a flush-time listener bump without a nested flush."""
    table = StateVersion.__table__
    execute = (connection or db.session).execute
    result = execute(update(table).where(table.c.key == key).values(version=table.c.version + 1))
    if result.rowcount == 0:
        from sqlalchemy import insert
        execute(insert(table).values(key=key, version=1))
    if has_app_context():
        g.pop("portal_versions", None)


def kernel():
    """The current application's kernel."""
    return current_app.extensions["portal.plugins"]


def call(hook_name, merchant_id=None, **kwargs):
    """Call a per-request or event hook on the enabled plugins; see ``Kernel.call``."""
    return kernel().call(hook_name, merchant_id=merchant_id, **kwargs)


def is_enabled(name, merchant_id=None):
    """Is the plugin on for the platform (and for the merchant)? See ``Kernel.is_enabled``."""
    return kernel().is_enabled(name, merchant_id)


def implementers(hook_name, merchant_id=None):
    """The enabled plugins implementing a hook; see ``Kernel.implementers``."""
    return kernel().implementers(hook_name, merchant_id)
