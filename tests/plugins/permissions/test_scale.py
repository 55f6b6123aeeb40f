"""The users list and the audit log at 10,000 rows: one page costs the same
few queries (no query per row), and the numbers are right."""
import time

from sqlalchemy import event, insert, select

from portal.models import AuditLog, Role, User, user_role, utcnow

ROWS = 10_000


class Statements:
    """Counts the SQL statements run on the test's connection."""

    def __init__(self, connection):
        self.connection, self.count, self.seen = connection, 0, []

    def __enter__(self):
        event.listen(self.connection, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(self.connection, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, *args):
        self.count += 1
        self.seen.append(statement)


def seed_users(db, world):
    now = utcnow()
    db.session.execute(insert(User), [
        {"email": f"bulk{i:05d}@scale.test", "name": f"Bulk {i}", "password_hash": world.staff1.password_hash,
         "merchant_id": world.m1.id if i % 2 else world.m2.id, "active": i % 10 != 0, "locale": "en",
         "timezone": "UTC", "created_at": now} for i in range(ROWS)])
    staff = db.session.execute(select(Role.id).where(Role.builtin == "merchant_staff")).scalar_one()
    ids = db.session.execute(select(User.id).where(User.email.like("bulk%"))).scalars().all()
    db.session.execute(insert(user_role), [{"user_id": i, "role_id": staff} for i in ids])
    db.session.commit()
    return staff


def test_users_list_at_ten_thousand(client, login, world, db):
    staff = seed_users(db, world)
    login(world.root)
    query = f"q=bulk01&merchant={world.m1.id}&role={staff}&active=1&sort=-created&page=3"
    with Statements(db.session.connection()) as statements:
        started = time.perf_counter()
        response = client.get(f"/permissions/users/?{query}", headers={"HX-Request": "true"})
        elapsed = time.perf_counter() - started
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    # bulk01000..bulk01999 on merchant 1 (odd numbers): 500, minus every tenth (inactive, all even): 500
    assert "500 records" in body and body.count("@scale.test") == 50
    assert statements.count <= 12, "\n\n".join(statements.seen)
    print(f"users page at {ROWS}: {elapsed * 1000:.0f} ms, {statements.count} statements")
    last = client.get(f"/permissions/users/?{query.replace('page=3', 'page=10')}", headers={"HX-Request": "true"})
    assert last.get_data(as_text=True).count("@scale.test") == 50


def test_audit_log_at_ten_thousand(client, login, world, db):
    now = utcnow()
    db.session.execute(insert(AuditLog), [
        {"at": now, "actor": world.admin1.email, "user_id": world.admin1.id, "plugin": "catalog",
         "action": "catalog.product.update", "target": f"product {i}", "merchant_id": world.m1.id, "summary": "",
         "ip": ""} for i in range(ROWS)])
    db.session.commit()
    login(world.admin1)
    with Statements(db.session.connection()) as statements:
        started = time.perf_counter()
        response = client.get("/permissions/audit/?plugin=catalog&page=100", headers={"HX-Request": "true"})
        elapsed = time.perf_counter() - started
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.count("catalog.product.update") == 50
    assert statements.count <= 12, "\n\n".join(statements.seen)
    print(f"audit page 100 at {ROWS}: {elapsed * 1000:.0f} ms, {statements.count} statements")
