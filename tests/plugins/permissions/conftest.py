"""Shared set-up for the permissions plugin's tests: two merchants, each with
an admin and a clerk, and a platform admin."""
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.models import AuditLog


@pytest.fixture()
def world(factories):
    """``world.m1``/``m2`` merchants, ``admin1``/``admin2`` merchant admins,
    ``staff1``/``staff2`` merchant staff, ``root`` a platform admin."""
    m1, m2 = factories.merchant(), factories.merchant()
    return SimpleNamespace(
        m1=m1, m2=m2,
        admin1=factories.user("merchant_admin", merchant=m1, email=f"admin@{m1.code.lower()}.test"),
        admin2=factories.user("merchant_admin", merchant=m2, email=f"admin@{m2.code.lower()}.test"),
        staff1=factories.user("merchant_staff", merchant=m1, email=f"staff@{m1.code.lower()}.test"),
        staff2=factories.user("merchant_staff", merchant=m2, email=f"staff@{m2.code.lower()}.test"),
        root=factories.user("platform_admin", email="root@platform.test"),
    )


@pytest.fixture()
def audit_rows(db):
    """``audit_rows("role.grant")``: the audit rows with that action, oldest first."""
    def rows(action):
        query = select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)
        return db.session.execute(query).scalars().all()
    return rows
