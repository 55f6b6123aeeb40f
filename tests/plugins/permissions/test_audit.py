"""The audit-log viewer and its CSV export."""
import csv
import io
from datetime import datetime

import pytest
from sqlalchemy import select

from plugins.permissions.services import audit_log
from portal.access import AccessDenied
from portal.audit import record
from portal.models import AuditLog


def text(response):
    return response.get_data(as_text=True)


def rows_of(client, query=""):
    """Only the table (the HTMX partial), so the page's menus do not count."""
    response = client.get(f"/permissions/audit/?{query}", headers={"HX-Request": "true"})
    assert response.status_code == 200, text(response)[:500]
    return text(response)


@pytest.fixture()
def log(db, world):
    """A few rows: two merchants', a platform one, at known UTC times."""
    made = [
        record("catalog.product.update", target="Blue mug", plugin="catalog", actor=world.admin1,
               merchant_id=world.m1.id),
        record("orders.refund", target="=HYPERLINK(\"http://x\")", plugin="orders", actor=world.admin2,
               merchant_id=world.m2.id, summary="-1 refunded"),
        record("plugin.disable", target="promotions", plugin="core", actor=world.root),
    ]
    made[0].at = datetime(2024, 1, 10, 20, 0)  # 11 January 04:00 in Shanghai
    made[1].at = datetime(2024, 1, 12, 3, 0)
    made[2].at = datetime(2024, 1, 12, 4, 0)
    db.session.commit()
    return made


def test_platform_admin_sees_and_filters_everything(client, login, world, log):
    login(world.root)
    page = client.get("/permissions/audit/")
    assert page.status_code == 200 and "Blue mug" in text(page)
    everything = rows_of(client)
    assert "Blue mug" in everything and "orders.refund" in everything and "plugin.disable" in everything
    by_user = rows_of(client, f"actor={world.admin2.email}")
    assert "orders.refund" in by_user and "Blue mug" not in by_user
    assert "Blue mug" in rows_of(client, "plugin=catalog") and "orders.refund" not in rows_of(client, "plugin=catalog")
    by_action = rows_of(client, "action=orders.")
    assert "orders.refund" in by_action and "plugin.disable" not in by_action
    # days are the user's (Asia/Shanghai): 10 January 20:00 UTC is on the 11th there
    day = rows_of(client, "from=2024-01-11&to=2024-01-11")
    assert "Blue mug" in day and "orders.refund" not in day
    assert "Blue mug" not in rows_of(client, "from=2024-01-12")
    assert "use a date like" in rows_of(client, "from=yesterday")


def test_merchant_staff_see_only_their_merchants_rows(client, login, world, log):
    login(world.admin1)
    rows = rows_of(client)
    assert "Blue mug" in rows and "orders.refund" not in rows and "plugin.disable" not in rows
    assert "orders.refund" not in rows_of(client, f"actor={world.admin2.email}")
    # reading is theirs; exporting needs manage
    assert 'id="audit-export"' not in text(client.get("/permissions/audit/"))
    assert client.get("/permissions/audit/export.csv").status_code == 403


def test_audit_query_is_scoped_in_the_service(db, world, log):
    seen = db.session.execute(audit_log.audit_query(world.admin2, audit_log.AuditFilters())).scalars().all()
    assert {row.action for row in seen} >= {"orders.refund"}
    assert all(row.merchant_id == world.m2.id for row in seen)
    with pytest.raises(AccessDenied):
        audit_log.audit_query(world.staff1, audit_log.AuditFilters())


def test_paging_without_a_total(client, login, world, db):
    for n in range(55):
        record("test.bulk", target=f"row {n:02d}", plugin="core", actor=world.root)
    db.session.commit()
    login(world.root)
    first = rows_of(client, "action=test.bulk")
    assert "row 54" in first and "row 05" in first and "row 04" not in first and "page=2" in first
    second = rows_of(client, "action=test.bulk&page=2")
    assert "row 04" in second and "row 54" not in second


def test_csv_export_escapes_formulas_and_is_audited(client, login, world, db, log, audit_rows):
    login(world.root)
    response = client.get("/permissions/audit/export.csv?plugin=orders")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(text(response))))
    assert table[0] == list(audit_log.CSV_COLUMNS)
    [row] = table[1:]
    assert row[0] == "2024-01-12 03:00:00" and row[1] == world.admin2.email
    assert row[5] == "'=HYPERLINK(\"http://x\")" and row[6] == world.m2.code and row[7] == "'-1 refunded"
    [export] = audit_rows("audit.export")
    assert export.plugin == "permissions" and "orders" in export.summary


def test_csv_safe():
    assert [audit_log.csv_safe(v) for v in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "plain", None, 5)] == \
        ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'\tx", "plain", "", "5"]


def test_every_permissions_change_is_in_the_log(client, login, world, db):
    login(world.admin1)
    client.post("/permissions/roles/new", data={"name": "Packer", "kind": "merchant"})
    actions = set(db.session.execute(select(AuditLog.action).where(AuditLog.plugin == "permissions")).scalars())
    assert "role.create" in actions
    assert "role.create" in rows_of(client, "plugin=permissions")
