"""``flask portal users create``: the first accounts of a new installation."""
import pytest
from sqlalchemy import select

from portal.auth import passwords, services
from portal.models import AuditLog
from tests.conftest import PASSWORD


@pytest.fixture()
def create(app, db):
    runner = app.test_cli_runner()

    def run(*args, password=PASSWORD):
        return runner.invoke(args=["portal", "users", "create", *args], input=f"{password}\n")
    return run


def test_creates_a_platform_admin_who_can_sign_in(create, client, db):
    result = create("Boss@Example.test", "--role", "platform_admin", "--name", "The Boss")
    assert result.exit_code == 0, result.output
    assert "Created boss@example.test (Platform admin)" in result.output
    user = services.find_by_email("boss@example.test")
    assert user.name == "The Boss" and user.merchant is None
    assert [r.builtin for r in user.roles] == ["platform_admin"]
    assert user.password_hash.startswith("$argon2id$") and passwords.verify_password(user.password_hash, PASSWORD)
    row = db.session.execute(select(AuditLog).where(AuditLog.action == "user.create",
                                                    AuditLog.target == "boss@example.test")).scalar_one()
    assert row.actor == "cli"
    assert client.post("/login", data={"email": "boss@example.test", "password": PASSWORD}).status_code == 302


def test_creates_merchant_staff_for_a_merchant(create, factories, db):
    merchant = factories.merchant(code="ACME")
    result = create("clerk@example.test", "--role", "merchant_staff", "--merchant", "ACME", "--password-stdin")
    assert result.exit_code == 0, result.output
    user = services.find_by_email("clerk@example.test")
    assert user.merchant_id == merchant.id and [r.builtin for r in user.roles] == ["merchant_staff"]


@pytest.mark.parametrize("args, password, message", [
    (("weak@example.test", "--role", "platform_admin"), "short", "at least 12 characters"),
    (("weak@example.test", "--role", "platform_admin"), "", "at least 12 characters"),
    (("weak@example.test", "--role", "platform_admin"), "weak@example.test", "must not be the e-mail"),
    (("wizard@example.test", "--role", "wizard"), PASSWORD, "There is no role named 'wizard'."),
    (("lost@example.test", "--role", "merchant_staff", "--merchant", "NOPE"), PASSWORD,
     "There is no merchant with the code 'NOPE'."),
    (("lost@example.test", "--role", "merchant_staff"), PASSWORD, "is for merchant staff; choose a merchant"),
    (("not-an-address", "--role", "platform_admin"), PASSWORD, "not-an-address is not an e-mail address."),
])
def test_refusals_are_clear_and_create_nothing(create, db, args, password, message):
    result = create(*args, password=password)
    assert result.exit_code == 1
    assert message in result.output
    assert services.find_by_email(args[0]) is None
    assert db.session.execute(select(AuditLog).where(AuditLog.action == "user.create")).first() is None


def test_platform_role_is_refused_for_merchant_staff(create, factories, db):
    factories.merchant(code="SHOP")
    result = create("x@example.test", "--role", "platform_admin", "--merchant", "SHOP")
    assert result.exit_code == 1 and "is for platform staff" in result.output


def test_an_existing_e_mail_is_refused(create, factories, db):
    user = factories.user()
    result = create(user.email.upper(), "--role", "platform_admin")
    assert result.exit_code == 1 and f"A user with the e-mail {user.email} already exists." in result.output


def test_role_is_required(create, db):
    result = create("norole@example.test")
    assert result.exit_code == 2 and "--role" in result.output
