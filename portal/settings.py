"""Typed settings that plugins declare, platform-wide and, where it makes
sense, per merchant. Values live in ``portal_setting`` as JSON; a merchant's
value overrides the platform's, which overrides the declared default."""
import dataclasses
import json
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from .audit import record
from .extensions import db
from .i18n import N_
from .models import Setting, utcnow

TYPES = ("bool", "int", "decimal", "str", "choice")
TRUE_WORDS = ("1", "true", "on", "yes")
FALSE_WORDS = ("", "0", "false", "off", "no")
# ASCII digits only: int() and Decimal() also take "1_000" and full-width digits
INT_TEXT = re.compile(r"^[+-]?[0-9]+$")
DECIMAL_TEXT = re.compile(r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$")


SECRET_MASK = "••••••••"  # what the page shows of a secret that is set, whatever its length


class InvalidSetting(ValueError):
    """A value that does not fit the setting; the message names the setting."""


@dataclass(frozen=True)
class SettingSpec:
    """``key`` is ``<plugin>.<name>``; ``type`` one of bool, int, decimal, str, choice.

    ``choices`` is ``((value, label), ...)`` for ``choice``; ``clean`` an optional
    function that takes the typed value and returns it (normalised) or raises
    ``ValueError`` with a message, for checks the type cannot express.
    ``secret`` (a shared secret, a password): the audit trail records that it
    changed, never the value, and the settings page never shows it back.
    """

    key: str
    title: str
    type: str = "str"
    default: object = None
    description: str = ""
    per_merchant: bool = False
    minimum: object = None
    maximum: object = None
    choices: tuple = field(default_factory=tuple)
    plugin: str = ""
    clean: object = None
    secret: bool = False

    def parse(self, raw, clean=True):
        """Turn a form value into the typed value, or raise ``InvalidSetting``."""
        text = raw.strip() if isinstance(raw, str) else raw
        value = self._typed(raw, text)
        if self.minimum is not None and value < self.minimum:
            raise InvalidSetting(_("%(title)s: must be at least %(minimum)s.", title=_(self.title), minimum=self.minimum))
        if self.maximum is not None and value > self.maximum:
            raise InvalidSetting(_("%(title)s: must be at most %(maximum)s.", title=_(self.title), maximum=self.maximum))
        if clean and self.clean is not None:
            try:
                value = self.clean(value)
            except ValueError as exc:
                raise InvalidSetting(_("%(title)s: %(problem)s", title=_(self.title), problem=exc)) from None
        return value

    def _typed(self, raw, text):
        if self.type == "bool":
            if isinstance(text, bool):
                return text
            word = str(text or "").lower()
            if word not in TRUE_WORDS + FALSE_WORDS:
                raise InvalidSetting(_("%(title)s: %(value)r is not yes or no.", title=_(self.title), value=raw))
            return word in TRUE_WORDS
        if self.type == "int":
            if isinstance(text, bool) or not INT_TEXT.match(str(text)):
                raise InvalidSetting(_("%(title)s: %(value)r is not a whole number.", title=_(self.title), value=raw))
            return int(text)
        if self.type == "decimal":
            if isinstance(text, (bool, float)) or not DECIMAL_TEXT.match(str(text)):
                raise InvalidSetting(_("%(title)s: %(value)r is not a number.", title=_(self.title), value=raw))
            try:
                return Decimal(str(text))
            except InvalidOperation:
                raise InvalidSetting(_("%(title)s: %(value)r is not a number.", title=_(self.title), value=raw)) from None
        if self.type == "choice":
            allowed = [c[0] for c in self.choices]
            if text not in allowed:
                raise InvalidSetting(_("%(title)s: choose one of %(choices)s.", title=_(self.title),
                                       choices=", ".join(map(str, allowed))))
            return text
        return "" if text is None else str(text)

    def dump(self, value):
        """The JSON stored for a typed value (decimals as strings, never floats)."""
        return json.dumps(str(value) if self.type == "decimal" else value)

    def load(self, text):
        """The typed value of stored JSON."""
        value = json.loads(text)
        return Decimal(value) if self.type == "decimal" else value

    def display(self, value):
        """A value as the settings page shows it (bools are shown by the template)."""
        if value is None:
            return ""
        if self.secret:
            return SECRET_MASK if value not in ("", None) else ""
        if self.type == "choice":
            return dict(self.choices).get(value, value)
        return str(value)


def _known_currency(value):
    from .models import Currency
    code = value.strip().upper()
    row = db.session.get(Currency, code) if len(code) == 3 else None
    if row is None:
        raise ValueError(_("%(value)s is not a known currency code (ISO 4217, e.g. CNY).",
                            value=value or _("an empty value")))
    if not row.active:
        raise ValueError(_("%(code)s is not an active currency; activate it on the Currencies page first.", code=code))
    return code


CORE_SETTINGS = [
    SettingSpec("core.platform_name", N_("Platform name"), "str", "Marketplace Portal"),
    SettingSpec("core.reporting_currency", N_("Reporting currency"), "str", "CNY",
                N_("Figures across currencies are converted to this one."), clean=_known_currency),
]


def specs():
    """Every declared setting, ``{key: SettingSpec}``, in declaration order."""
    return current_app.extensions["portal.settings"]


def spec(key):
    """The declaration of one setting; ``InvalidSetting`` when there is none."""
    try:
        return specs()[key]
    except KeyError:
        raise InvalidSetting(_("There is no setting named %(key)s.", key=key)) from None


def _row(key, merchant_id):
    return db.session.execute(select(Setting).where(
        Setting.key == key,
        Setting.merchant_id.is_(None) if merchant_id is None else Setting.merchant_id == merchant_id)
    ).scalar_one_or_none()


def get(key, merchant_id=None):
    """The effective value: the merchant's, else the platform's, else the default."""
    s = spec(key)
    # the table's columns, not the entity: hot paths (every stock reservation)
    # read a setting, and loading ORM objects costs several times the query
    rows = dict(db.session.execute(_VALUES, {"key": key, "merchant_id": merchant_id}).all())
    if merchant_id is not None and s.per_merchant and merchant_id in rows:
        return s.load(rows[merchant_id])
    if None in rows:
        return s.load(rows[None])
    return s.default


def platform_value_column(key):
    """A scalar subquery of the platform's stored value of ``key``, for a hot
    statement to bring back with its own result (see ``from_platform_value``)
    instead of a query of its own."""
    return select(_table.c.value).where(_table.c.key == key, _table.c.merchant_id.is_(None)).scalar_subquery()


def from_platform_value(key, stored):
    """The effective value of a platform-wide setting from what
    ``platform_value_column`` read (None: not set, so the default)."""
    s = spec(key)
    if s.per_merchant:
        raise InvalidSetting(f"{key} is set per merchant: use get()")
    return s.default if stored is None else s.load(stored)


_table = Setting.__table__
_VALUES = select(_table.c.merchant_id, _table.c.value).where(
    _table.c.key == bindparam("key"), _table.c.merchant_id.is_(None) | (_table.c.merchant_id == bindparam("merchant_id")))


def _check_target(s, merchant_id):
    if merchant_id is not None and not s.per_merchant:
        raise InvalidSetting(_("%(title)s is set for the whole platform, not per merchant.", title=_(s.title)))


def set_value(key, raw, merchant_id=None, actor=None):
    """Validate and store a value; audited (nothing is written when the value
    is unchanged or invalid). Returns the typed value."""
    s = spec(key)
    _check_target(s, merchant_id)
    value = s.parse(raw)
    row = _row(key, merchant_id)
    old = s.load(row.value) if row else None
    if row is not None and old == value:
        return value
    if row is None:
        row = Setting(key=key, merchant_id=merchant_id, value=s.dump(value))
        db.session.add(row)
    row.value, row.changed_at = s.dump(value), utcnow()
    record("setting.change", target=key, plugin=s.plugin or "core", actor=actor, merchant_id=merchant_id,
           summary=_change_summary(s, old, value))
    return value


def reset(key, merchant_id=None, actor=None):
    """Drop a stored value so the platform's (or the default) applies again.
    Returns True when there was a value to drop."""
    s = spec(key)
    _check_target(s, merchant_id)
    row = _row(key, merchant_id)
    if row is None:
        return False
    old = s.load(row.value)
    db.session.delete(row)
    record("setting.reset", target=key, plugin=s.plugin or "core", actor=actor, merchant_id=merchant_id,
           summary={"secret": "removed"} if s.secret else {"from": old})
    return True


def _change_summary(s, old, new):
    """What the audit row says of a change: the values, or for a secret only
    that it changed (the trail is read by more people than the secret's owner)."""
    if not s.secret:
        return {"from": old, "to": new}
    return {"secret": "changed" if new not in ("", None) else "cleared", "was_set": old not in ("", None)}


def may_edit(s, merchant_id, user=None):
    """May the user change this setting's platform value (``merchant_id``
    None) or this merchant's override? Needs write on ``core.settings`` and
    write on that data: platform values belong to nobody's merchant, so only
    staff granted all merchants reach them."""
    from . import access
    if merchant_id is not None and not s.per_merchant:
        return False
    return access.access(user).record_level("core.settings", {"merchant": merchant_id}) >= access.WRITE


@dataclass
class SettingRow:
    """What the settings page shows about one setting."""

    spec: SettingSpec
    platform: object  # stored platform value, None when the default applies
    override: object  # stored merchant value, None when there is none (or no merchant)
    effective: object
    has_platform: bool
    has_override: bool


def describe(merchant_id=None):
    """Every setting, grouped by plugin in declaration order: ``{plugin: [SettingRow]}``.

    One query; the override column is filled only for per-merchant settings."""
    stored = {}
    query = select(Setting).where(Setting.merchant_id.is_(None) if merchant_id is None else
                                  (Setting.merchant_id.is_(None)) | (Setting.merchant_id == merchant_id))
    for row in db.session.execute(query).scalars():
        stored[(row.key, row.merchant_id)] = row
    groups = {}
    for s in specs().values():
        platform_row = stored.get((s.key, None))
        override_row = stored.get((s.key, merchant_id)) if merchant_id is not None and s.per_merchant else None
        platform = s.load(platform_row.value) if platform_row else None
        override = s.load(override_row.value) if override_row else None
        effective = override if override_row else platform if platform_row else s.default
        groups.setdefault(s.plugin, []).append(
            SettingRow(s, platform, override, effective, platform_row is not None, override_row is not None))
    return groups


def _configured(app, s):
    """The reporting currency's default comes from PORTAL_REPORTING_CURRENCY."""
    if s.key == "core.reporting_currency" and app.config.get("PORTAL_REPORTING_CURRENCY"):
        return dataclasses.replace(s, default=app.config["PORTAL_REPORTING_CURRENCY"].strip().upper())
    return s


def init_app(app, kernel):
    """Collect the core's and every plugin's settings; fail at start-up, naming
    the plugin, on a bad key, a duplicate, an unknown type or a bad default."""
    from .plugins import PluginError
    registry = {}
    declared = [("core", _configured(app, s)) for s in CORE_SETTINGS]
    declared += [(plugin, s) for plugin, items in kernel.call_all("portal_register_settings") for s in items]
    for plugin, s in declared:
        if not s.key.startswith(plugin + "."):
            raise PluginError(f"plugin {plugin!r}: setting {s.key!r} must start with '{plugin}.'")
        if s.key in registry:
            raise PluginError(f"plugin {plugin!r}: setting {s.key!r} is declared twice")
        if s.type not in TYPES:
            raise PluginError(f"plugin {plugin!r}: setting {s.key!r} has the unknown type {s.type!r}; "
                              f"use one of {', '.join(TYPES)}")
        try:
            # the default goes through the same parser, so get() always returns the declared type
            default = None if s.default is None else s.parse(s.default, clean=False)
        except InvalidSetting as exc:
            raise PluginError(f"plugin {plugin!r}: setting {s.key!r} has a bad default: {exc}") from None
        registry[s.key] = dataclasses.replace(s, plugin=plugin, default=default)
    app.extensions["portal.settings"] = registry
