def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json["database"]["status"] == "ok"


def test_dashboard_requires_login(client):
    r = client.get("/")
    assert r.status_code == 302
    assert "/login" in r.headers["Location"]


def test_login_and_dashboard(client, login_as):
    login_as("platform_admin")
    r = client.get("/")
    assert r.status_code == 200, r.get_data(as_text=True)[:2000]
    assert "Dashboard" in r.get_data(as_text=True)
    r = client.get("/plugins/")
    assert r.status_code == 200, r.get_data(as_text=True)[:3000]
    assert "Permissions" in r.get_data(as_text=True)
