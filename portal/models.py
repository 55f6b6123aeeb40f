"""Core tables: merchants, users, sessions, roles, grants, plugin state, audit log,
settings, API tokens, stored files and documents, currencies, jobs.

Table names start with ``portal_`` so they never clash with a plugin's tables.
"""
from datetime import datetime, timezone

from flask_login import UserMixin
from sqlalchemy import UniqueConstraint, Index

from .extensions import db


def utcnow():
    """Naive UTC timestamp: the database column has no zone and always means UTC."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Merchant(db.Model):
    __tablename__ = "portal_merchant"
    __portal_scopes__ = {"merchant": "id"}  # a merchant is in its own scope
    STATUSES = ("active", "suspended")

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(32), nullable=False, unique=True)
    name = db.Column(db.String(200), nullable=False)
    legal_name = db.Column(db.String(300), nullable=False, default="")
    country = db.Column(db.String(2), nullable=False, default="CN")
    default_currency = db.Column(db.String(3), nullable=False, default="CNY")
    status = db.Column(db.String(16), nullable=False, default="active")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    @property
    def is_active(self):
        return self.status == "active"

    def __str__(self):
        return f"{self.code} {self.name}"


user_role = db.Table(
    "portal_user_role",
    db.Column("user_id", db.Integer, db.ForeignKey("portal_user.id", ondelete="CASCADE"), primary_key=True),
    db.Column("role_id", db.Integer, db.ForeignKey("portal_role.id", ondelete="CASCADE"), primary_key=True),
)


class User(UserMixin, db.Model):
    __tablename__ = "portal_user"

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), nullable=False, unique=True)
    name = db.Column(db.String(200), nullable=False, default="")
    password_hash = db.Column(db.String(255), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), index=True)
    active = db.Column(db.Boolean, nullable=False, default=True)
    locale = db.Column(db.String(16), nullable=False, default="en")  # room for ids like "zh_Hans_CN"
    timezone = db.Column(db.String(64), nullable=False, default="Asia/Shanghai")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_login_at = db.Column(db.DateTime)

    merchant = db.relationship(Merchant, lazy="joined")
    # loaded when needed: a request's access comes from the per-process cache
    roles = db.relationship("Role", secondary=user_role, lazy="select", back_populates="users")

    # Flask-Login reads ``is_active``; a suspended merchant locks its staff out too.
    @property
    def is_active(self):
        return self.active and (self.merchant is None or self.merchant.is_active)

    @property
    def is_platform(self):
        return self.merchant_id is None

    def __str__(self):
        return self.email


class UserSession(db.Model):
    """A server-side session: the cookie carries only ``id``; revoking the row
    ends the session wherever the cookie is."""

    __tablename__ = "portal_user_session"

    id = db.Column(db.String(64), primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("portal_user.id", ondelete="CASCADE"), nullable=False, index=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_seen_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    ip = db.Column(db.String(64), nullable=False, default="")
    user_agent = db.Column(db.String(300), nullable=False, default="")
    revoked_at = db.Column(db.DateTime)
    revoked_reason = db.Column(db.String(64))


class Role(db.Model):
    __tablename__ = "portal_role"
    KINDS = ("platform", "merchant")

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(100), nullable=False)
    description = db.Column(db.String(500), nullable=False, default="")
    # platform roles are given to platform staff, merchant roles to merchant staff
    kind = db.Column(db.String(16), nullable=False, default="merchant")
    # a role a merchant admin made for its own store; NULL for platform-wide roles
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id"), index=True)
    builtin = db.Column(db.String(32), unique=True)

    grants = db.relationship("RoleGrant", cascade="all, delete-orphan", lazy="selectin", back_populates="role")
    data_grants = db.relationship("DataGrant", cascade="all, delete-orphan", lazy="selectin",
                                  primaryjoin="Role.id == DataGrant.role_id", back_populates="role")
    users = db.relationship(User, secondary=user_role, back_populates="roles")

    __table_args__ = (UniqueConstraint("merchant_id", "name"),)

    def __str__(self):
        return self.name


class RoleGrant(db.Model):
    """Functional permission: a level on one resource (``catalog.product``)."""

    __tablename__ = "portal_role_grant"

    id = db.Column(db.Integer, primary_key=True)
    role_id = db.Column(db.Integer, db.ForeignKey("portal_role.id", ondelete="CASCADE"), nullable=False)
    resource = db.Column(db.String(100), nullable=False)
    level = db.Column(db.Integer, nullable=False)
    role = db.relationship(Role, back_populates="grants")

    __table_args__ = (UniqueConstraint("role_id", "resource"),)


class DataGrant(db.Model):
    """Data permission: a level on a scope value, for a role or one user.

    ``value`` is a scope value (a merchant id, a warehouse id), ``*`` for all
    values, or ``@own`` for the user's own merchant.
    """

    __tablename__ = "portal_data_grant"

    id = db.Column(db.Integer, primary_key=True)
    role_id = db.Column(db.Integer, db.ForeignKey("portal_role.id", ondelete="CASCADE"), index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("portal_user.id", ondelete="CASCADE"), index=True)
    scope = db.Column(db.String(50), nullable=False)
    value = db.Column(db.String(64), nullable=False)
    level = db.Column(db.Integer, nullable=False)
    role = db.relationship(Role, back_populates="data_grants")

    __table_args__ = (
        UniqueConstraint("role_id", "user_id", "scope", "value"),
        db.CheckConstraint("(role_id IS NULL) <> (user_id IS NULL)", name="one_holder"),
    )


class PluginState(db.Model):
    """Whether a plugin is on, for the platform (merchant_id NULL) or one merchant.
    No row means enabled."""

    __tablename__ = "portal_plugin_state"

    id = db.Column(db.Integer, primary_key=True)
    plugin = db.Column(db.String(64), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id", ondelete="CASCADE"))
    enabled = db.Column(db.Boolean, nullable=False)
    changed_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("plugin", "merchant_id"),)


class StateVersion(db.Model):
    """Counters that every worker checks cheaply to know its cache is stale."""

    __tablename__ = "portal_state_version"

    key = db.Column(db.String(32), primary_key=True)
    version = db.Column(db.Integer, nullable=False, default=0)


class AuditLog(db.Model):
    """Append-only record of every state-changing action."""

    __tablename__ = "portal_audit_log"

    id = db.Column(db.Integer, primary_key=True)
    at = db.Column(db.DateTime, nullable=False, default=utcnow, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("portal_user.id", ondelete="SET NULL"), index=True)
    actor = db.Column(db.String(254), nullable=False, default="")
    ip = db.Column(db.String(64), nullable=False, default="")
    plugin = db.Column(db.String(64), nullable=False, default="core", index=True)
    action = db.Column(db.String(100), nullable=False, index=True)
    target = db.Column(db.String(200), nullable=False, default="")
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id", ondelete="SET NULL"), index=True)
    summary = db.Column(db.Text, nullable=False, default="")


class Setting(db.Model):
    __tablename__ = "portal_setting"

    id = db.Column(db.Integer, primary_key=True)
    key = db.Column(db.String(100), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id", ondelete="CASCADE"))
    value = db.Column(db.Text, nullable=False)  # JSON
    changed_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("key", "merchant_id"),)


class ApiToken(db.Model):
    __tablename__ = "portal_api_token"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(100), nullable=False)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id", ondelete="CASCADE"), index=True)
    prefix = db.Column(db.String(16), nullable=False, index=True)
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    permissions = db.Column(db.Text, nullable=False, default="{}")  # JSON {resource: level}
    created_by_id = db.Column(db.Integer, db.ForeignKey("portal_user.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_used_at = db.Column(db.DateTime)
    revoked_at = db.Column(db.DateTime)

    merchant = db.relationship(Merchant)


class StoredFile(db.Model):
    __tablename__ = "portal_stored_file"

    id = db.Column(db.Integer, primary_key=True)
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id", ondelete="SET NULL"), index=True)
    kind = db.Column(db.String(32), nullable=False)
    original_name = db.Column(db.String(255), nullable=False, default="")
    content_type = db.Column(db.String(100), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    sha256 = db.Column(db.String(64), nullable=False, index=True)
    path = db.Column(db.String(500), nullable=False)
    width = db.Column(db.Integer)
    height = db.Column(db.Integer)
    created_by_id = db.Column(db.Integer, db.ForeignKey("portal_user.id", ondelete="SET NULL"))
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class IssuedDocument(db.Model):
    """A PDF as issued: kept once, served again byte for byte."""

    __tablename__ = "portal_issued_document"

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(50), nullable=False)
    reference = db.Column(db.String(100), nullable=False)
    number = db.Column(db.String(64))
    merchant_id = db.Column(db.Integer, db.ForeignKey("portal_merchant.id", ondelete="SET NULL"), index=True)
    content = db.Column(db.LargeBinary, nullable=False)
    sha256 = db.Column(db.String(64), nullable=False)
    size = db.Column(db.Integer, nullable=False)
    issued_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    issued_by_id = db.Column(db.Integer, db.ForeignKey("portal_user.id", ondelete="SET NULL"))

    __table_args__ = (UniqueConstraint("kind", "reference"),)


class DocumentCounter(db.Model):
    """Gap-free numbering per document kind, issuer and year."""

    __tablename__ = "portal_document_counter"

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(50), nullable=False)
    issuer = db.Column(db.String(64), nullable=False)
    year = db.Column(db.Integer, nullable=False)
    last = db.Column(db.Integer, nullable=False, default=0)

    __table_args__ = (UniqueConstraint("kind", "issuer", "year"),)


class Currency(db.Model):
    __tablename__ = "portal_currency"

    code = db.Column(db.String(3), primary_key=True)
    name = db.Column(db.String(100), nullable=False)
    minor_unit = db.Column(db.Integer, nullable=False, default=2)
    active = db.Column(db.Boolean, nullable=False, default=True)


class ExchangeRate(db.Model):
    """How many units of ``quote`` one unit of ``base`` buys on ``day``."""

    __tablename__ = "portal_exchange_rate"

    id = db.Column(db.Integer, primary_key=True)
    base = db.Column(db.String(3), db.ForeignKey("portal_currency.code"), nullable=False)
    quote = db.Column(db.String(3), db.ForeignKey("portal_currency.code"), nullable=False)
    day = db.Column(db.Date, nullable=False)
    rate = db.Column(db.Numeric(20, 10), nullable=False)
    source = db.Column(db.String(50), nullable=False, default="manual")
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("base", "quote", "day"), Index("ix_rate_lookup", "base", "quote", "day"))


class JobState(db.Model):
    """One row per scheduled job: when it last ran, and who holds it now."""

    __tablename__ = "portal_job_state"

    name = db.Column(db.String(100), primary_key=True)
    last_started_at = db.Column(db.DateTime)
    last_finished_at = db.Column(db.DateTime)
    last_status = db.Column(db.String(16))
    last_message = db.Column(db.Text)
    locked_by = db.Column(db.String(100))
    locked_until = db.Column(db.DateTime)
