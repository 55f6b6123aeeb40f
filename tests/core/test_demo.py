"""``flask portal demo``: creates the platform's demo, and a second run changes nothing."""
from sqlalchemy import func, select

from portal.models import Merchant, User


def test_demo_twice(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["portal", "demo"])
    assert first.exit_code == 0, first.output
    assert "admin@demo.test" in first.output and "Demo sign-ins" in first.output
    users = db.session.execute(select(func.count()).select_from(User)).scalar()
    merchants = db.session.execute(select(func.count()).select_from(Merchant)).scalar()
    assert merchants >= 3

    second = runner.invoke(args=["portal", "demo"])
    assert second.exit_code == 0
    assert "exists already" in second.output
    assert db.session.execute(select(func.count()).select_from(User)).scalar() == users
    assert db.session.execute(select(func.count()).select_from(Merchant)).scalar() == merchants


def test_demo_logins_work(app, db, client):
    app.test_cli_runner().invoke(args=["portal", "demo"])
    from portal.demo import DEMO_PASSWORD
    r = client.post("/login", data={"email": "acme-admin@demo.test", "password": DEMO_PASSWORD})
    assert r.status_code == 302
    assert "ACME" in client.get("/").get_data(as_text=True)
