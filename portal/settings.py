"""Typed settings that plugins declare, platform-wide and, where it makes
sense, per merchant. Values live in ``portal_setting`` as JSON; a merchant's
value overrides the platform's, which overrides the declared default."""
import json
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import select

from .audit import record
from .extensions import db
from .models import Setting, utcnow


class InvalidSetting(ValueError):
    """A value that does not fit the setting; the message names the setting."""


@dataclass(frozen=True)
class SettingSpec:
    """``key`` is ``<plugin>.<name>``; ``type`` one of bool, int, decimal, str, choice."""

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

    def parse(self, raw):
        """Turn a form value into the typed value, or raise ``InvalidSetting``."""
        text = raw.strip() if isinstance(raw, str) else raw
        try:
            if self.type == "bool":
                value = text in (True, "1", "true", "on", "yes")
            elif self.type == "int":
                value = int(text)
            elif self.type == "decimal":
                value = Decimal(str(text))
                if not value.is_finite():
                    raise InvalidOperation
            elif self.type == "choice":
                if text not in [c[0] for c in self.choices]:
                    raise InvalidSetting(f"{self.title}: choose one of {', '.join(c[0] for c in self.choices)}.")
                value = text
            else:
                value = "" if text is None else str(text)
        except (ValueError, InvalidOperation, TypeError):
            raise InvalidSetting(f"{self.title}: {raw!r} is not a valid {self.type} value.") from None
        if self.minimum is not None and value < self.minimum:
            raise InvalidSetting(f"{self.title}: must be at least {self.minimum}.")
        if self.maximum is not None and value > self.maximum:
            raise InvalidSetting(f"{self.title}: must be at most {self.maximum}.")
        return value

    def dump(self, value):
        return json.dumps(str(value) if self.type == "decimal" else value)

    def load(self, text):
        value = json.loads(text)
        return Decimal(value) if self.type == "decimal" else value


CORE_SETTINGS = [
    SettingSpec("core.platform_name", "Platform name", "str", "Marketplace Portal"),
    SettingSpec("core.reporting_currency", "Reporting currency", "str", "CNY",
                "Figures across currencies are converted to this one."),
]


def specs():
    return current_app.extensions["portal.settings"]


def spec(key):
    try:
        return specs()[key]
    except KeyError:
        raise InvalidSetting(f"There is no setting named {key!r}.") from None


def get(key, merchant_id=None):
    """The effective value: the merchant's, else the platform's, else the default."""
    s = spec(key)
    rows = {row.merchant_id: row for row in db.session.execute(
        select(Setting).where(Setting.key == key,
                              (Setting.merchant_id.is_(None)) | (Setting.merchant_id == merchant_id))).scalars()}
    if merchant_id is not None and s.per_merchant and merchant_id in rows:
        return s.load(rows[merchant_id].value)
    if None in rows:
        return s.load(rows[None].value)
    return s.default


def set_value(key, raw, merchant_id=None, actor=None):
    """Validate and store a value; audited. Returns the typed value."""
    s = spec(key)
    if merchant_id is not None and not s.per_merchant:
        raise InvalidSetting(f"{s.title} is set for the whole platform, not per merchant.")
    value = s.parse(raw)
    row = db.session.execute(select(Setting).where(
        Setting.key == key,
        Setting.merchant_id.is_(None) if merchant_id is None else Setting.merchant_id == merchant_id)
    ).scalar_one_or_none()
    old = s.load(row.value) if row else None
    if row is None:
        row = Setting(key=key, merchant_id=merchant_id, value=s.dump(value))
        db.session.add(row)
    row.value, row.changed_at = s.dump(value), utcnow()
    record("setting.change", target=key, plugin=s.plugin or "core", actor=actor, merchant_id=merchant_id,
           summary={"from": old, "to": value})
    return value


def reset(key, merchant_id=None, actor=None):
    """Drop a stored value so the platform's (or the default) applies again."""
    s = spec(key)
    row = db.session.execute(select(Setting).where(
        Setting.key == key,
        Setting.merchant_id.is_(None) if merchant_id is None else Setting.merchant_id == merchant_id)
    ).scalar_one_or_none()
    if row is not None:
        db.session.delete(row)
        record("setting.reset", target=key, plugin=s.plugin or "core", actor=actor, merchant_id=merchant_id)


def init_app(app, kernel):
    from .plugins import PluginError
    registry = {}
    declared = [("core", s) for s in CORE_SETTINGS]
    declared += [(plugin, s) for plugin, items in kernel.call_all("portal_register_settings") for s in items]
    for plugin, s in declared:
        if not s.key.startswith(plugin + "."):
            raise PluginError(f"plugin {plugin!r}: setting {s.key!r} must start with '{plugin}.'")
        if s.key in registry:
            raise PluginError(f"plugin {plugin!r}: setting {s.key!r} is declared twice")
        registry[s.key] = SettingSpec(**{**s.__dict__, "plugin": plugin})
    app.extensions["portal.settings"] = registry
