"""Access is cached per process behind the ``access`` counter: every change to
roles, grants or who holds them must be seen by the very next request."""
from sqlalchemy import select, text

from portal import access
from portal.models import RoleGrant, StateVersion


def _version(db):
    return db.session.execute(select(StateVersion.version).where(StateVersion.key == "access")).scalar() or 0


def test_grant_change_bumps_the_counter_and_is_seen_at_once(client, login_as, factories, db):
    merchant = factories.merchant()
    user = login_as("merchant_admin", merchant=merchant)
    assert client.get("/permissions/users/").status_code == 200
    before = _version(db)
    role = user.roles[0]
    grant = next(g for g in role.grants if g.resource == "permissions.user")
    grant.level = access.NONE
    db.session.commit()
    assert _version(db) == before + 1
    assert client.get("/permissions/users/").status_code == 403


def test_a_change_made_by_another_process_is_seen(app, client, login_as, factories, db):
    merchant = factories.merchant()
    user = login_as("merchant_admin", merchant=merchant)
    assert client.get("/permissions/users/").status_code == 200
    # another worker changes the grant with its own SQL and bumps the counter
    db.session.execute(text("UPDATE portal_role_grant SET level = 0 WHERE role_id = :r AND resource = :res"),
                       {"r": user.roles[0].id, "res": "permissions.user"})
    db.session.execute(text("UPDATE portal_state_version SET version = version + 1 WHERE key = 'access'"))
    db.session.commit()
    db.session.expire_all()
    assert client.get("/permissions/users/").status_code == 403


def test_assigning_a_role_is_seen_at_once(client, login, factories, db):
    merchant = factories.merchant()
    user = factories.user("merchant_staff", merchant)
    db.session.commit()
    login(user)
    assert client.get("/permissions/roles/").status_code == 403
    from portal.auth.services import role_by_name
    user.roles.append(role_by_name("merchant_admin"))
    db.session.commit()
    assert client.get("/permissions/roles/").status_code == 200


def test_a_rolled_back_change_is_not_cached(app, client, login_as, factories, db):
    merchant = factories.merchant()
    user = login_as("merchant_admin", merchant=merchant)
    role_id = user.roles[0].id
    db.session.commit()
    with app.test_request_context():
        from flask import g
        g.__dict__.clear()  # a fresh request, not the one the test client just made
        grant = db.session.execute(select(RoleGrant).where(RoleGrant.role_id == role_id,
                                                           RoleGrant.resource == "permissions.user")).scalar_one()
        grant.level = access.NONE
        db.session.flush()
        assert access.access(user).level("permissions.user") == access.NONE
        db.session.rollback()
    # an unrelated committed change brings the counter to the value the
    # rolled-back change had: a cache filled during that change would now be believed
    other = factories.merchant()
    factories.user("merchant_staff", other)
    db.session.commit()
    assert client.get("/permissions/users/").status_code == 200
