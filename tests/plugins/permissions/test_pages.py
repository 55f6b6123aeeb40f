"""The Users and Roles pages through the test client: what a user sees and
may do, and 404 for another merchant's records."""
from sqlalchemy import select

from portal.auth import passwords
from portal.models import Role, User, UserSession

PASSWORD = "correct-horse-battery"  # the factories' password
NEW_PASSWORD = "a-fresh-long-password"


def builtin(db, key):
    return db.session.execute(select(Role).where(Role.builtin == key)).scalar_one()


def text(response):
    return response.get_data(as_text=True)


# -- users ---------------------------------------------------------------------------

def user_rows(client, query=""):
    """Only the list's rows (the HTMX partial), so the page's menus do not count."""
    return text(client.get(f"/permissions/users/?{query}", headers={"HX-Request": "true"}))


def test_users_list_search_filter_and_sort(client, login, world, db):
    login(world.root)
    assert "Users" in text(client.get("/permissions/users/"))
    rows = user_rows(client)
    assert world.staff1.email in rows and world.staff2.email in rows
    rows = user_rows(client, f"q={world.m1.code.lower()}")
    assert world.staff1.email in rows and world.staff2.email not in rows
    rows = user_rows(client, f"merchant={world.m2.id}")
    assert world.staff2.email in rows and world.staff1.email not in rows and world.root.email not in rows
    rows = user_rows(client, "merchant=platform")
    assert world.root.email in rows and world.staff1.email not in rows
    role = builtin(db, "merchant_admin")
    rows = user_rows(client, f"role={role.id}&sort=-email")
    assert world.staff1.email not in rows
    first, second = sorted([world.admin1.email, world.admin2.email], reverse=True)
    assert rows.index(first) < rows.index(second)
    world.staff1.active = False
    db.session.commit()
    rows = user_rows(client, "active=0")
    assert world.staff1.email in rows and world.staff2.email not in rows


def test_users_search_answers_the_rows_partial_to_htmx(client, login, world):
    login(world.root)
    response = client.get(f"/permissions/users/?q={world.staff1.email}", headers={"HX-Request": "true"})
    body = text(response)
    assert response.status_code == 200 and body.lstrip().startswith("<div id=\"user-rows\">")
    assert world.staff1.email in body and "<html" not in body
    assert "HX-Request" in response.headers["Vary"]


def test_merchant_admin_sees_own_staff_and_404_for_others(client, login, world):
    login(world.admin1)
    rows = user_rows(client)
    assert world.staff1.email in rows and world.staff2.email not in rows and world.root.email not in rows
    assert client.get(f"/permissions/users/{world.staff2.id}").status_code == 404
    assert client.post(f"/permissions/users/{world.staff2.id}/active", data={"active": "0"}).status_code == 404
    assert client.post(f"/permissions/users/{world.staff2.id}/password",
                       data={"password": NEW_PASSWORD}).status_code == 404
    assert world.staff2.active


def test_staff_without_the_permission_get_403(client, login, world):
    login(world.staff1)
    assert client.get("/permissions/users/").status_code == 403
    assert client.get("/permissions/roles/").status_code == 403


def test_create_account_through_the_form(client, login, world, db):
    login(world.admin1)
    form = client.get("/permissions/users/new")
    assert form.status_code == 200 and 'name="merchant"' not in text(form)  # merchant admins: own merchant only
    staff_role = builtin(db, "merchant_staff")
    data = {"email": "packer@shop.test", "name": "Packer", "roles": [str(staff_role.id)], "password": "short"}
    response = client.post("/permissions/users/new", data=data, follow_redirects=True)
    assert "at least 12 characters" in text(response)
    assert db.session.execute(select(User).where(User.email == "packer@shop.test")).first() is None
    data["password"] = NEW_PASSWORD
    response = client.post("/permissions/users/new", data=data)
    assert response.status_code == 302
    user = db.session.execute(select(User).where(User.email == "packer@shop.test")).scalar_one()
    assert user.merchant_id == world.m1.id and [r.name for r in user.roles] == ["Merchant staff"]
    assert "packer@shop.test" in text(client.get(response.headers["Location"]))


def test_edit_roles_and_merchant_through_the_form(client, login, world, db):
    login(world.root)
    staff_role = builtin(db, "merchant_staff")
    response = client.post(f"/permissions/users/{world.staff2.id}",
                           data={"name": "Moved", "merchant": str(world.m1.id), "roles": [str(staff_role.id)]})
    assert response.status_code == 302
    db.session.refresh(world.staff2)
    assert world.staff2.merchant_id == world.m1.id and world.staff2.name == "Moved"
    response = client.post(f"/permissions/users/{world.staff2.id}",
                           data={"name": "Moved", "merchant": "platform", "roles": [str(staff_role.id)]},
                           follow_redirects=True)
    assert "is for merchant staff" in text(response)
    db.session.refresh(world.staff2)
    assert world.staff2.merchant_id == world.m1.id


def test_deactivate_signs_the_user_out_and_asks_first(app, client, login, world, db):
    other = app.test_client()
    assert other.post("/login", data={"email": world.staff1.email, "password": PASSWORD}).status_code == 302
    assert other.get("/").status_code == 200
    login(world.admin1)
    page = text(client.get(f"/permissions/users/{world.staff1.id}"))
    assert "portal-confirm" in page and 'data-confirm="Deactivate' in page
    assert client.post(f"/permissions/users/{world.staff1.id}/active", data={"active": "0"}).status_code == 302
    db.session.refresh(world.staff1)
    assert not world.staff1.active
    assert other.get("/").status_code == 302  # signed out
    own = text(client.post(f"/permissions/users/{world.admin1.id}/active", data={"active": "0"},
                           follow_redirects=True))
    assert "cannot deactivate your own account" in own
    client.post(f"/permissions/users/{world.staff1.id}/active", data={"active": "1"})
    db.session.refresh(world.staff1)
    assert world.staff1.active


def test_reset_password_through_the_form(client, login, world, db):
    login(world.admin1)
    db.session.add(UserSession(id="live", user_id=world.staff1.id))
    db.session.commit()
    response = client.post(f"/permissions/users/{world.staff1.id}/password", data={"password": NEW_PASSWORD},
                           follow_redirects=True)
    assert "New password set" in text(response)
    assert passwords.verify_password(world.staff1.password_hash, NEW_PASSWORD)
    assert db.session.get(UserSession, "live").revoked_at is not None


def test_user_data_grants_through_the_form(client, login, world, db):
    login(world.admin1)
    page = text(client.get(f"/permissions/users/{world.staff1.id}"))
    assert 'id="add-data-merchant"' in page and 'value="*"' not in page
    client.post(f"/permissions/users/{world.staff1.id}/data",
                data={"scope": "merchant", "value": str(world.m1.id), "level": "read"})
    page = text(client.get(f"/permissions/users/{world.staff1.id}"))
    assert str(world.m1) in page and "No data grants" not in page
    refused = text(client.post(f"/permissions/users/{world.staff1.id}/data",
                               data={"scope": "merchant", "value": "*", "level": "read"}, follow_redirects=True))
    assert "never grant all merchants" in refused


# -- roles ---------------------------------------------------------------------------

def test_roles_list_and_create(client, login, world, db):
    login(world.admin1)
    page = text(client.get("/permissions/roles/"))
    assert "Merchant staff" in page and "Platform admin" not in page
    response = client.post("/permissions/roles/new", data={"name": "Packer", "kind": "merchant",
                                                           "description": "Packs parcels"})
    assert response.status_code == 302
    role = db.session.execute(select(Role).where(Role.name == "Packer")).scalar_one()
    assert role.merchant_id == world.m1.id
    assert client.post("/permissions/roles/new", data={"name": "", "kind": "merchant"},
                       follow_redirects=True).status_code == 200
    login(world.admin2)
    assert client.get(f"/permissions/roles/{role.id}").status_code == 404


def test_rename_and_delete_role(client, login, world, db):
    login(world.admin1)
    client.post("/permissions/roles/new", data={"name": "Packer", "kind": "merchant"})
    role = db.session.execute(select(Role).where(Role.name == "Packer")).scalar_one()
    client.post(f"/permissions/roles/{role.id}", data={"name": "Packing", "description": "Boxes"})
    db.session.refresh(role)
    assert role.name == "Packing"
    world.staff1.roles = [role]
    db.session.commit()
    page = text(client.get(f"/permissions/roles/{role.id}"))
    assert 'data-confirm="Delete the role Packing' in page
    refused = text(client.post(f"/permissions/roles/{role.id}/delete", follow_redirects=True))
    assert "still hold the role Packing" in refused
    world.staff1.roles = [builtin(db, "merchant_staff")]
    db.session.commit()
    assert client.post(f"/permissions/roles/{role.id}/delete").status_code == 302
    assert db.session.get(Role, role.id) is None
    staff_role = builtin(db, "merchant_staff")
    assert client.post(f"/permissions/roles/{staff_role.id}/delete").status_code == 403


def test_grant_matrix_one_click_per_cell(client, login, world, db, audit_rows):
    login(world.admin1)
    client.post("/permissions/roles/new", data={"name": "Packer", "kind": "merchant"})
    role = db.session.execute(select(Role).where(Role.name == "Packer")).scalar_one()
    page = text(client.get(f"/permissions/roles/{role.id}"))
    assert 'id="grant-permissions-user"' in page and 'id="grant-core-jobs"' in page
    grant_url = f"/permissions/roles/{role.id}/grant"
    response = client.post(grant_url, data={"resource": "permissions.user", "level": "write"},
                           headers={"HX-Request": "true"})
    row = text(response)
    assert response.status_code == 200 and row.lstrip().startswith('<tr id="grant-permissions-user">')
    assert 'aria-pressed="true" data-level="2"' in row
    db.session.refresh(role)
    assert [(g.resource, g.level) for g in role.grants] == [("permissions.user", 2)]
    # above what a merchant admin holds: a 200 row that says why, an audit row, nothing saved
    response = client.post(grant_url, data={"resource": "core.jobs", "level": "read"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "you hold only none" in text(response)
    assert 'class="small text-danger d-block grant-error"' in text(response)
    db.session.refresh(role)
    assert [g.resource for g in role.grants] == ["permissions.user"]
    assert len(audit_rows("role.grant_refused")) == 1
    # without HTMX the same form redirects back to the role
    response = client.post(grant_url, data={"resource": "permissions.user", "level": "none"})
    assert response.status_code == 302
    db.session.refresh(role)
    assert role.grants == []


def test_matrix_of_shared_role_is_read_only_for_merchants(client, login, world, db):
    login(world.admin1)
    staff_role = builtin(db, "merchant_staff")
    page = text(client.get(f"/permissions/roles/{staff_role.id}"))
    assert "hx-post" not in page and 'id="grant-matrix"' in page
    response = client.post(f"/permissions/roles/{staff_role.id}/grant",
                           data={"resource": "permissions.user", "level": "read"})
    assert response.status_code == 403


def test_role_data_grants_through_the_form(client, login, world, db):
    login(world.root)
    client.post("/permissions/roles/new", data={"name": "Auditor", "kind": "platform", "merchant": "platform"})
    role = db.session.execute(select(Role).where(Role.name == "Auditor")).scalar_one()
    client.post(f"/permissions/roles/{role.id}/data", data={"scope": "merchant", "value": "*", "level": "read"})
    db.session.refresh(role)
    [grant] = role.data_grants
    assert (grant.value, grant.level) == ("*", 1)
    page = text(client.get(f"/permissions/roles/{role.id}"))
    assert f'id="data-grant-{grant.id}"' in page
    client.post(f"/permissions/roles/{role.id}/data/{grant.id}/remove")
    db.session.refresh(role)
    assert role.data_grants == []


def test_account_made_by_the_form_can_sign_in(client, login, db, world):
    login(world.root)
    staff_role = builtin(db, "merchant_staff")
    client.post("/permissions/users/new", data={"email": "clerk@m.test", "merchant": str(world.m1.id),
                                                "roles": [str(staff_role.id)], "password": NEW_PASSWORD})
    client.post("/logout")
    assert client.post("/login", data={"email": "clerk@m.test", "password": NEW_PASSWORD}).status_code == 302
