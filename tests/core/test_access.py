"""Access rules: levels, the effective level of a record (the lower of the
functional and the data level), data grants (``@own``, ``*``), and their
enforcement in queries (``scoped``) and lookups (``get_or_404``)."""
import itertools
from types import SimpleNamespace

import pytest
from flask_login import AnonymousUserMixin, login_user
from flask_principal import Identity, identity_changed
from sqlalchemy import Integer, func, select
from sqlalchemy.orm import DeclarativeBase, mapped_column
from werkzeug.exceptions import Forbidden, NotFound

from portal import access
from portal.access import MANAGE, NONE, READ, WRITE, UserAccess
from portal.models import DataGrant, Merchant, Role, RoleGrant, User


# -- levels --------------------------------------------------------------------------

def test_levels_are_ordered_and_named():
    assert NONE < READ < WRITE < MANAGE
    assert [access.level_value(n) for n in ("none", "read", "write", "manage")] == [0, 1, 2, 3]
    assert access.level_value("WRITE") == WRITE and access.level_value(MANAGE) == MANAGE
    assert access.level_name(2) == "write" and access.level_name("Read") == "read"
    for bad in ("admin", 4, -1, None, True):
        with pytest.raises(ValueError, match="use none, read, write or manage"):
            access.level_value(bad)


@pytest.mark.parametrize("functional, data, expected", [
    (MANAGE, {"*": READ}, READ),  # data caps function
    (READ, {"*": MANAGE}, READ),  # function caps data
    (WRITE, {"5": MANAGE}, WRITE),
    (WRITE, {"5": WRITE, "*": READ}, WRITE),  # the best grant on the value counts
    (MANAGE, {"6": MANAGE}, NONE),  # another value: nothing
    (NONE, {"*": MANAGE}, NONE),
])
def test_effective_level_is_the_lower_of_functional_and_data(app, db, functional, data, expected):
    user_access = UserAccess(SimpleNamespace(merchant_id=None), {"core.merchant": functional}, {"merchant": data})
    assert user_access.record_level("core.merchant", {"merchant": 5}) == expected


def test_values_at_lists_the_values_held_at_a_level(app, db):
    user_access = UserAccess(SimpleNamespace(merchant_id=None), {}, {"merchant": {"5": WRITE, "6": READ}})
    assert user_access.values_at("merchant", READ) == {"5", "6"}
    assert user_access.values_at("merchant", WRITE) == {"5"}
    assert user_access.values_at("merchant", MANAGE) == set()
    assert UserAccess(None, {}, {"merchant": {"*": READ}}).values_at("merchant", READ) is None


def test_an_anonymous_user_holds_nothing(app, db):
    user_access = access.compute_access(AnonymousUserMixin())
    assert user_access.level("core.merchant") == NONE
    assert user_access.level("hello.greeting") == NONE
    assert db.session.execute(access.scoped(select(Merchant), Merchant, user=AnonymousUserMixin())).first() is None


# -- grants from roles and users ------------------------------------------------------------

_roles = itertools.count(1)


def custom_role(db, kind, grants=(), data=(), merchant=None):
    """A role with ``grants`` [(resource, level)] and ``data`` [(value, level)] on merchants."""
    role = Role(name=f"Custom role {next(_roles)}", kind=kind,
                merchant_id=merchant.id if merchant else None)
    role.grants = [RoleGrant(resource=r, level=access.level_value(lv)) for r, lv in grants]
    role.data_grants = [DataGrant(scope="merchant", value=v, level=access.level_value(lv)) for v, lv in data]
    db.session.add(role)
    db.session.flush()
    return role


def test_own_means_the_user_merchant_and_star_every_merchant(db, factories):
    a, b = factories.merchant(), factories.merchant()
    staff = factories.user(custom_role(db, "merchant", [("core.merchant", "write")], [("@own", "write")]), a)
    assert access.compute_access(staff).data == {"merchant": {str(a.id): WRITE}}
    operator = factories.user(custom_role(db, "platform", [("core.merchant", "write")], [("*", "read"), ("@own", "manage")]))
    # a platform user has no merchant of its own: "@own" gives it nothing
    assert access.compute_access(operator).data == {"merchant": {"*": READ}}
    assert access.record_level("core.merchant", b, operator) == READ


def test_user_grants_and_role_grants_combine_to_the_best(db, factories):
    a, b = factories.merchant(), factories.merchant()
    role = custom_role(db, "platform", [("core.merchant", "manage")], [(str(a.id), "read")])
    user = factories.user(role)
    db.session.add(DataGrant(user_id=user.id, scope="merchant", value=str(a.id), level=MANAGE))
    db.session.add(DataGrant(user_id=user.id, scope="merchant", value=str(b.id), level=READ))
    db.session.flush()
    assert access.record_level("core.merchant", a, user) == MANAGE
    assert access.record_level("core.merchant", b, user) == READ


def test_a_merchant_user_never_reaches_another_merchant_whatever_a_role_says(db, factories):
    a, b = factories.merchant(), factories.merchant()
    role = custom_role(db, "merchant", [("core.merchant", "manage")],
                       [("*", "manage"), (str(b.id), "manage"), ("@own", "read")])
    user = factories.user(role, a)
    db.session.add(DataGrant(user_id=user.id, scope="merchant", value=str(b.id), level=MANAGE))
    db.session.flush()
    assert access.compute_access(user).data == {"merchant": {str(a.id): READ}}
    assert access.record_level("core.merchant", b, user) == NONE
    assert access.record_level("core.merchant", a, user) == READ
    listed = db.session.execute(access.scoped(select(Merchant), Merchant, user=user)).scalars().all()
    assert listed == [a]
    with pytest.raises(NotFound):
        access.get_or_404(Merchant, b.id, "core.merchant", "read", user=user)


def test_the_platform_admin_holds_every_resource_even_new_ones(app, db, factories):
    admin = factories.user("platform_admin")
    for name in app.extensions["portal.access"].resources:
        assert access.has_level(name, "manage", admin), name


# -- scoped(): never listed, never counted ---------------------------------------------------------

def count(query):
    from portal.extensions import db
    return db.session.execute(select(func.count()).select_from(query.subquery())).scalar()


def test_scoped_lists_and_counts_only_the_records_in_scope(db, factories):
    a, b = factories.merchant(), factories.merchant()
    admin_a = factories.user("merchant_admin", a)
    for merchant in (a, b, b):
        factories.user("merchant_staff", merchant)
    query = access.scoped(select(User), User, user=admin_a)
    assert {u.merchant_id for u in db.session.execute(query).scalars()} == {a.id}
    assert count(query) == 2
    assert count(access.scoped(select(User), User, "manage", user=admin_a)) == 2
    staff_a = factories.user("merchant_staff", a)
    assert count(access.scoped(select(User), User, "manage", user=staff_a)) == 0
    operator = factories.user("platform_operator")
    in_all = count(select(User))
    assert count(access.scoped(select(User), User, user=operator)) == in_all
    assert count(access.scoped(select(User), User, "manage", user=operator)) == 0


def test_the_merchants_page_never_shows_nor_counts_another_merchant(client, login_as, factories):
    a, b = factories.merchant(name="Alpha Traders"), factories.merchant(name="Beta Goods")
    login_as("merchant_admin", a)
    page = client.get("/merchants/")
    assert page.status_code == 200
    assert "Alpha Traders" in page.text and "Beta Goods" not in page.text and b.code not in page.text
    search = client.get("/merchants/?q=beta")
    assert "Beta Goods" not in search.text


class Base(DeclarativeBase):
    pass


class Shelf(Base):
    """A record scoped by warehouse only, that still belongs to a merchant."""

    __tablename__ = "test_access_shelf"
    __portal_scopes__ = {"warehouse": "warehouse_id"}
    id = mapped_column(Integer, primary_key=True)
    merchant_id = mapped_column(Integer)
    warehouse_id = mapped_column(Integer)


def test_a_grant_on_another_scope_never_opens_another_merchant(db, factories):
    a, b = factories.merchant(), factories.merchant()
    connection = db.session.connection()
    Base.metadata.create_all(connection)
    try:
        db.session.add_all([Shelf(id=1, merchant_id=a.id, warehouse_id=1), Shelf(id=2, merchant_id=b.id, warehouse_id=1),
                            Shelf(id=3, merchant_id=None, warehouse_id=1)])
        db.session.flush()
        staff = factories.user("merchant_staff", a)
        operator = factories.user("platform_operator")
        for user in (staff, operator):
            db.session.add(DataGrant(user_id=user.id, scope="warehouse", value="*", level=WRITE))
        db.session.flush()
        ids = db.session.execute(access.scoped(select(Shelf.id), Shelf, user=staff)).scalars().all()
        assert sorted(ids) == [1, 3]
        assert sorted(db.session.execute(access.scoped(select(Shelf.id), Shelf, user=operator)).scalars()) == [1, 2, 3]
        with pytest.raises(NotFound):
            access.get_or_404(Shelf, 2, "core.merchant", "read", user=staff)
    finally:
        db.session.rollback()
        Base.metadata.drop_all(db.session.connection())


# -- get_or_404(): 404 outside the scope, 403 inside it with too low a level ---------------------------

def test_get_or_404_answers_404_outside_and_403_below_the_level(db, factories):
    a, b = factories.merchant(), factories.merchant()
    staff = factories.user("merchant_staff", a)  # no core.merchant grant at all
    admin = factories.user("merchant_admin", a)  # core.merchant read
    with pytest.raises(NotFound):
        access.get_or_404(Merchant, b.id, "core.merchant", "read", user=admin)
    with pytest.raises(NotFound):
        access.get_or_404(Merchant, b.id, "core.merchant", "read", user=staff)
    with pytest.raises(Forbidden):
        access.get_or_404(Merchant, a.id, "core.merchant", "read", user=staff)
    assert access.get_or_404(Merchant, a.id, "core.merchant", "read", user=admin) is a
    with pytest.raises(Forbidden):
        access.get_or_404(Merchant, a.id, "core.merchant", "write", user=admin)
    with pytest.raises(NotFound):
        access.get_or_404(Merchant, 10 ** 9, "core.merchant", "read", user=admin)
    with pytest.raises(NotFound):
        access.get_or_404(Merchant, "abc", "core.merchant", "read", user=admin)
    assert access.get_or_404(Merchant, str(a.id), "core.merchant", "read", user=admin) is a


def test_record_pages_answer_404_for_another_merchant_and_403_below_the_level(client, login, factories):
    a, b = factories.merchant(), factories.merchant()
    staff, admin = factories.user("merchant_staff", a), factories.user("merchant_admin", a)
    login(staff)
    # the page itself is closed to staff: the same 403 for every id reveals nothing
    assert client.get(f"/merchants/{b.id}").status_code == 403
    assert client.get(f"/merchants/{a.id}").status_code == 403
    login(admin)
    assert client.get(f"/merchants/{b.id}").status_code == 404
    assert client.get(f"/merchants/{a.id}").status_code == 200
    assert client.post(f"/merchants/{b.id}/status", data={"status": "suspended"}).status_code == 404
    assert client.post(f"/merchants/{a.id}/status", data={"status": "suspended"}).status_code == 403
    assert b.status == "active" and a.status == "active"


# -- require() and permission_required() --------------------------------------------------------

def test_require_raises_access_denied_naming_resource_and_level(db, factories):
    staff = factories.user("merchant_staff", factories.merchant())
    access.require("core.currency", "read", user=staff)
    with pytest.raises(access.AccessDenied, match="You need write access to core.currency"):
        access.require("core.currency", "write", user=staff)


def test_permission_required_goes_through_the_principal_identity(app, db, factories):
    @access.permission_required("core.currency", "write")
    def edit_rates():
        return "ok"

    staff = factories.user("merchant_staff", factories.merchant())
    finance = factories.user("finance")
    with app.test_request_context("/"):
        response = edit_rates()
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    for user, allowed in ((finance, True), (staff, False)):
        with app.test_request_context("/"):
            login_user(user)
            identity_changed.send(app, identity=Identity(user.id, "session"))
            if allowed:
                assert edit_rates() == "ok"
            else:
                with pytest.raises(Forbidden):
                    edit_rates()

