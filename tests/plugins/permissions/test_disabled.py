"""With the plugin switched off its pages answer 404 and its menu entries
are gone; switching it on again restores both."""
from portal.plugins import kernel

URLS = ["/permissions/users/", "/permissions/users/new", "/permissions/roles/", "/permissions/audit/",
        "/permissions/audit/export.csv"]
MENU = ['data-menu="permissions_users"', 'data-menu="permissions_roles"', 'data-menu="permissions_audit"']


def test_disabled_plugin_answers_404_and_leaves_the_menu(client, login, world, db):
    login(world.root)
    dashboard = client.get("/").get_data(as_text=True)
    assert all(entry in dashboard for entry in MENU)
    kernel().set_enabled("permissions", False)
    db.session.commit()
    for url in URLS + [f"/permissions/users/{world.staff1.id}"]:
        assert client.get(url).status_code == 404, url
    assert client.post(f"/permissions/users/{world.staff1.id}/active", data={"active": "0"}).status_code == 404
    assert world.staff1.active
    dashboard = client.get("/").get_data(as_text=True)
    assert not any(entry in dashboard for entry in MENU)
    kernel().set_enabled("permissions", True)
    db.session.commit()
    assert client.get("/permissions/users/").status_code == 200
    assert all(entry in client.get("/").get_data(as_text=True) for entry in MENU)
