"""${message}

Revision ID: ${up_revision}
Revises: ${down_revision | comma,n}
Create Date: ${create_date}

"""
from alembic import op
import sqlalchemy as sa
% if not down_revision:
from babel.numbers import get_currency_name, get_currency_precision, list_currencies
% endif
${imports if imports else ""}

# revision identifiers, used by Alembic.
revision = ${repr(up_revision)}
down_revision = ${repr(down_revision)}
branch_labels = ${repr(branch_labels)}
depends_on = ${repr(depends_on)}


def upgrade():
    ${upgrades if upgrades else "pass"}
% if not down_revision:
    insert_currencies()
% endif


def downgrade():
    ${downgrades if downgrades else "pass"}
% if not down_revision:


def insert_currencies():
    """Every ISO 4217 currency Babel knows, as ``portal.money.ensure_currencies``
    inserts them; written here so the migration does not depend on app code."""
    currency = sa.table("portal_currency", sa.column("code", sa.String), sa.column("name", sa.String),
                        sa.column("minor_unit", sa.Integer), sa.column("active", sa.Boolean))
    op.bulk_insert(currency, [
        {"code": code, "name": get_currency_name(code, locale="en"),
         "minor_unit": get_currency_precision(code), "active": True}
        for code in sorted(list_currencies()) if len(code) == 3
    ])
% endif
