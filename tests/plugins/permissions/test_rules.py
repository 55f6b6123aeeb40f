"""The permission rules, through the services, without HTTP."""
import pytest
from sqlalchemy import select
from werkzeug.exceptions import Forbidden, NotFound

from plugins.permissions.services import PermissionsError, Refused, grants, roles, users
from portal import access
from portal.access import MANAGE, NONE, READ, WRITE
from portal.auth import passwords
from portal.models import DataGrant, Role, RoleGrant, UserSession

PASSWORD = "another-long-secret"


def builtin(db, key):
    return db.session.execute(select(Role).where(Role.builtin == key)).scalar_one()


def level_of(role, resource):
    return next((g.level for g in role.grants if g.resource == resource), NONE)


def open_session(db, user):
    db.session.add(UserSession(id=f"s-{user.id}", user_id=user.id))
    db.session.flush()


# -- reach: other merchants' records answer 404 ----------------------------------

def test_merchant_admin_sees_only_own_staff(db, world):
    listed = db.session.execute(users.users_query(world.admin1)).scalars().all()
    assert {u.email for u in listed} == {world.admin1.email, world.staff1.email}
    with pytest.raises(NotFound):
        users.get_user(world.staff2.id, world.admin1)
    with pytest.raises(NotFound):
        users.get_user(world.root.id, world.admin1)
    with pytest.raises(NotFound):
        users.set_active(world.admin1, world.staff2.id, False)
    assert world.staff2.active


def test_platform_admin_sees_everyone(db, world):
    listed = {u.email for u in db.session.execute(users.users_query(world.root)).scalars()}
    assert {world.staff1.email, world.staff2.email, world.root.email} <= listed


def test_other_merchants_roles_answer_404(db, world):
    own = roles.create_role(world.admin2, "Packer", "merchant")
    assert own.merchant_id == world.m2.id and own.kind == "merchant"
    for call in (lambda: roles.get_role(own.id, world.admin1),
                 lambda: roles.update_role(world.admin1, own.id, "Mine now", ""),
                 lambda: roles.delete_role(world.admin1, own.id),
                 lambda: grants.set_grant(world.admin1, own.id, "permissions.user", "read")):
        with pytest.raises(NotFound):
            call()
    visible = {r.name for r, _ in roles.list_roles(world.admin1)}
    assert "Packer" not in visible and {"Merchant admin", "Merchant staff"} <= visible
    assert "Platform admin" not in visible
    with pytest.raises(NotFound):
        roles.get_role(builtin(db, "platform_admin").id, world.admin1)


def test_shared_builtin_roles_are_read_only_for_merchants(db, world):
    staff_role = builtin(db, "merchant_staff")
    assert roles.get_role(staff_role.id, world.admin1) is staff_role
    with pytest.raises(access.AccessDenied):
        grants.set_grant(world.admin1, staff_role.id, "permissions.user", "read")
    with pytest.raises(access.AccessDenied):
        roles.update_role(world.admin1, staff_role.id, "Clerk", "")


# -- users --------------------------------------------------------------------------

def test_merchant_admin_creates_staff_in_own_merchant_only(db, world):
    staff_role = builtin(db, "merchant_staff")
    user = users.create_user(world.admin1, "New@Shop.test", "New Clerk", None, [staff_role.id], PASSWORD)
    assert user.email == "new@shop.test" and user.merchant_id == world.m1.id
    assert [r.name for r in user.roles] == ["Merchant staff"]
    with pytest.raises(PermissionsError, match="your own merchant"):
        users.create_user(world.admin1, "x@shop.test", "", world.m2.id, [staff_role.id], PASSWORD)
    with pytest.raises(PermissionsError, match="does not exist"):  # platform roles are not theirs to see
        users.create_user(world.admin1, "y@shop.test", "", None, [builtin(db, "finance").id], PASSWORD)
    with pytest.raises(PermissionsError, match="for platform staff"):
        users.create_user(world.root, "y@shop.test", "", world.m1.id, [builtin(db, "finance").id], PASSWORD)
    with pytest.raises(PermissionsError, match="for merchant staff"):
        users.create_user(world.root, "y@shop.test", "", None, [staff_role.id], PASSWORD)


def test_create_user_checks_password_email_and_roles(db, world):
    staff_role = builtin(db, "merchant_staff")
    with pytest.raises(PermissionsError, match="at least 12"):
        users.create_user(world.admin1, "a@shop.test", "", None, [staff_role.id], "short")
    with pytest.raises(PermissionsError, match="already exists"):
        users.create_user(world.admin1, world.staff1.email, "", None, [staff_role.id], PASSWORD)
    with pytest.raises(PermissionsError, match="at least one role"):
        users.create_user(world.admin1, "b@shop.test", "", None, [], PASSWORD)
    with pytest.raises(PermissionsError, match="not an e-mail"):
        users.create_user(world.admin1, "not-an-address", "", None, [staff_role.id], PASSWORD)
    other = roles.create_role(world.admin2, "Their role", "merchant")
    with pytest.raises(PermissionsError, match="does not exist"):
        users.create_user(world.admin1, "c@shop.test", "", None, [other.id], PASSWORD)


def test_assigning_a_role_above_the_granter_is_refused_and_audited(db, world, audit_rows):
    role = roles.create_role(world.root, "Refund desk", "merchant")
    grants.set_grant(world.root, role.id, "core.jobs", "manage")  # merchant admins hold none
    with pytest.raises(Refused, match="core.jobs"):
        users.update_user(world.admin1, world.staff1.id, "", [role.id, builtin(db, "merchant_staff").id])
    assert [r.name for r in world.staff1.roles] == ["Merchant staff"]
    [row] = audit_rows("user.role_refused")
    assert row.user_id == world.admin1.id and row.target == world.staff1.email and row.merchant_id == world.m1.id


def test_platform_admin_role_cannot_be_given_by_someone_holding_less(db, world, factories):
    desk = roles.create_role(world.root, "User desk", "platform")
    grants.set_grant(world.root, desk.id, "permissions.user", "manage")
    grants.set_grant(world.root, desk.id, "permissions.role", "read")
    operator = factories.user([desk], email="desk@platform.test")
    db.session.add(DataGrant(role_id=desk.id, scope="merchant", value="*", level=MANAGE))
    db.session.flush()
    db.session.expire(desk)
    platform_admin = builtin(db, "platform_admin")
    assert access.role_ceiling(platform_admin, operator) is False
    with pytest.raises(Refused, match="Platform admin"):
        users.create_user(operator, "boss@platform.test", "", None, [platform_admin.id], PASSWORD)
    # nor can it take over an account that holds more, by resetting its password
    with pytest.raises(PermissionsError, match="holds more access"):
        users.reset_password(operator, world.root.id, PASSWORD)


def test_update_user_changes_roles_and_merchant(db, world):
    own = roles.create_role(world.admin1, "Packer", "merchant")
    users.update_user(world.admin1, world.staff1.id, "Clerk One", [own.id])
    assert world.staff1.name == "Clerk One" and [r.name for r in world.staff1.roles] == ["Packer"]
    open_session(db, world.staff2)
    users.update_user(world.root, world.staff2.id, "", [builtin(db, "merchant_staff").id], world.m1.id)
    assert world.staff2.merchant_id == world.m1.id
    assert db.session.get(UserSession, f"s-{world.staff2.id}").revoked_reason == "merchant changed"
    with pytest.raises(PermissionsError, match="only platform staff move"):
        users.update_user(world.admin1, world.staff1.id, "", [own.id], world.m2.id)


def test_nobody_deactivates_themselves(db, world):
    for me in (world.root, world.admin1):
        with pytest.raises(PermissionsError, match="your own account"):
            users.set_active(me, me.id, False)
        assert me.active


def test_deactivate_ends_sessions_and_reactivate(db, world, audit_rows):
    open_session(db, world.staff1)
    users.set_active(world.admin1, world.staff1.id, False)
    assert not world.staff1.active
    assert db.session.get(UserSession, f"s-{world.staff1.id}").revoked_at is not None
    users.set_active(world.admin1, world.staff1.id, True)
    assert world.staff1.active
    assert [r.plugin for r in audit_rows("user.deactivate")] == ["permissions"]
    assert len(audit_rows("user.activate")) == 1


def test_reset_password_sets_it_and_ends_sessions(db, world):
    open_session(db, world.staff1)
    with pytest.raises(PermissionsError, match="at least 12"):
        users.reset_password(world.admin1, world.staff1.id, "short")
    users.reset_password(world.admin1, world.staff1.id, PASSWORD)
    assert passwords.verify_password(world.staff1.password_hash, PASSWORD)
    assert db.session.get(UserSession, f"s-{world.staff1.id}").revoked_at is not None
    with pytest.raises(PermissionsError, match="My account"):
        users.reset_password(world.admin1, world.admin1.id, PASSWORD)


def test_nobody_removes_their_own_last_managing_role(db, world):
    staff_role = builtin(db, "merchant_staff")
    with pytest.raises(PermissionsError, match="your own last role"):
        users.update_user(world.admin1, world.admin1.id, "", [staff_role.id])
    assert [r.name for r in world.admin1.roles] == ["Merchant admin"]
    # keeping another role that manages is fine
    own = roles.create_role(world.admin1, "Deputy", "merchant")
    grants.set_grant(world.admin1, own.id, "permissions.user", "manage")
    grants.set_grant(world.admin1, own.id, "permissions.role", "manage")
    users.update_user(world.admin1, world.admin1.id, "", [own.id, builtin(db, "merchant_admin").id])
    # lowering the only managing grant of your own role is the same lock-out
    root_role = roles.create_role(world.root, "Root desk", "platform")
    grants.set_grant(world.root, root_role.id, "permissions.user", "manage")
    grants.set_grant(world.root, root_role.id, "permissions.role", "manage")
    grants.add_data_grant(world.root, "merchant", "*", "manage", role_id=root_role.id)
    users.update_user(world.root, world.root.id, "", [root_role.id])
    with pytest.raises(PermissionsError, match="your own last role"):
        grants.set_grant(world.root, root_role.id, "permissions.role", "write")


# -- roles and grants -------------------------------------------------------------

def test_merchant_admin_creates_merchant_roles_for_own_merchant(db, world, audit_rows):
    role = roles.create_role(world.admin1, "  Packer ", "merchant", "Packs parcels")
    assert (role.name, role.kind, role.merchant_id) == ("Packer", "merchant", world.m1.id)
    with pytest.raises(PermissionsError, match="merchant roles only"):
        roles.create_role(world.admin1, "Ops", "platform")
    with pytest.raises(PermissionsError, match="already exists"):
        roles.create_role(world.admin1, "packer", "merchant")
    with pytest.raises(PermissionsError, match="already exists"):
        roles.create_role(world.admin1, "Merchant staff", "merchant")
    assert roles.create_role(world.admin2, "Packer", "merchant").merchant_id == world.m2.id
    [row] = [r for r in audit_rows("role.create") if r.merchant_id == world.m1.id]
    assert row.plugin == "permissions" and row.target == "Packer"


def test_grant_within_own_level_is_set_and_audited(db, world, audit_rows):
    role = roles.create_role(world.admin1, "Packer", "merchant")
    grants.set_grant(world.admin1, role.id, "permissions.user", "read")
    grants.set_grant(world.admin1, role.id, "permissions.user", "manage")
    assert level_of(role, "permissions.user") == MANAGE
    grants.set_grant(world.admin1, role.id, "permissions.user", "none")
    assert level_of(role, "permissions.user") == NONE
    assert db.session.execute(select(RoleGrant).where(RoleGrant.role_id == role.id)).first() is None
    assert [r.summary for r in audit_rows("role.grant")][-1] == \
        '{"from": "manage", "resource": "permissions.user", "to": "none"}'


def test_grant_above_own_level_is_refused_with_an_audit_row(db, world, audit_rows):
    role = roles.create_role(world.admin1, "Packer", "merchant")
    # merchant admins hold read on the audit log and nothing on jobs
    with pytest.raises(Refused, match="you hold only read"):
        grants.set_grant(world.admin1, role.id, "permissions.audit", "write")
    with pytest.raises(Refused, match="you hold only none"):
        grants.set_grant(world.admin1, role.id, "core.jobs", "read")
    assert role.grants == []
    refused = audit_rows("role.grant_refused")
    assert len(refused) == 2 and refused[0].merchant_id == world.m1.id and "permissions.audit" in refused[0].target
    grants.set_grant(world.root, role.id, "core.jobs", "manage")  # the platform admin holds everything
    assert level_of(role, "core.jobs") == MANAGE


def test_grant_input_is_checked(db, world):
    role = roles.create_role(world.root, "Ops", "platform")
    with pytest.raises(PermissionsError, match="no permission named"):
        grants.set_grant(world.root, role.id, "nope.thing", "read")
    with pytest.raises(PermissionsError, match="Level"):
        grants.set_grant(world.root, role.id, "core.jobs", "superuser")
    with pytest.raises(PermissionsError, match="always holds every permission"):
        grants.set_grant(world.root, builtin(db, "platform_admin").id, "core.jobs", "none")


def test_builtin_roles_can_be_renamed_not_deleted(db, world):
    staff_role = builtin(db, "merchant_staff")
    roles.update_role(world.root, staff_role.id, "Shop clerk", "Works in one store.")
    assert staff_role.name == "Shop clerk"
    with pytest.raises(PermissionsError, match="built-in"):
        roles.delete_role(world.root, staff_role.id)


def test_role_held_by_accounts_cannot_be_deleted(db, world):
    role = roles.create_role(world.admin1, "Packer", "merchant")
    users.update_user(world.admin1, world.staff1.id, "", [role.id])
    with pytest.raises(PermissionsError, match="1 account"):
        roles.delete_role(world.admin1, role.id)
    users.update_user(world.admin1, world.staff1.id, "", [builtin(db, "merchant_staff").id])
    roles.delete_role(world.admin1, role.id)
    assert db.session.get(Role, role.id) is None


def test_platform_operator_reads_but_cannot_change(db, world, factories):
    operator = factories.user("platform_operator", email="ops@platform.test")
    assert db.session.execute(users.users_query(operator)).scalars().first() is not None
    with pytest.raises(access.AccessDenied):
        roles.create_role(operator, "X", "platform")
    with pytest.raises(access.AccessDenied):
        users.create_user(operator, "z@platform.test", "", None, [], PASSWORD)
    with pytest.raises(Forbidden):
        users.set_active(operator, world.staff1.id, False)


# -- data grants --------------------------------------------------------------------

def test_data_grants_for_roles_and_users(db, world, audit_rows):
    role = roles.create_role(world.admin1, "Packer", "merchant")
    grant = grants.add_data_grant(world.admin1, "merchant", "@own", "write", role_id=role.id)
    assert (grant.role_id, grant.value, grant.level) == (role.id, "@own", WRITE)
    grants.add_data_grant(world.admin1, "merchant", "@own", "read", role_id=role.id)
    assert [(g.value, g.level) for g in role.data_grants] == [("@own", READ)]
    personal = grants.add_data_grant(world.admin1, "merchant", str(world.m1.id), "read", user_id=world.staff1.id)
    assert personal.user_id == world.staff1.id
    assert [label for _, _, label in grants.data_grants_of(world.staff1)] == [str(world.m1)]
    grants.remove_data_grant(world.admin1, personal.id, user_id=world.staff1.id)
    assert grants.data_grants_of(world.staff1) == []
    assert len(audit_rows("data_grant.set")) == 3 and len(audit_rows("data_grant.remove")) == 1
    with pytest.raises(NotFound):  # the grant is not this account's
        grants.remove_data_grant(world.admin1, grant.id, user_id=world.staff1.id)


def test_merchant_admin_never_grants_all_merchants(db, world, audit_rows):
    role = roles.create_role(world.admin1, "Packer", "merchant")
    with pytest.raises(Refused, match="never grant all merchants"):
        grants.add_data_grant(world.admin1, "merchant", "*", "read", role_id=role.id)
    [row] = audit_rows("data_grant.refused")
    assert row.user_id == world.admin1.id and row.merchant_id == world.m1.id
    with pytest.raises(PermissionsError, match="only their own merchant"):
        grants.add_data_grant(world.admin1, "merchant", str(world.m2.id), "read", role_id=role.id)
    assert role.data_grants == []


def test_data_grant_above_own_data_level_is_refused(db, world, factories, audit_rows, monkeypatch):
    # reaching a holder at manage already needs manage on its merchant, so the
    # ceiling shows on the other scopes plugins declare (warehouses, ...)
    zones = access.DataScope("zone", "Zone", lambda: [("*", "All zones"), ("z1", "Zone 1"), ("z2", "Zone 2")])
    monkeypatch.setitem(access.registry().scopes, "zone", zones)
    desk = roles.create_role(world.root, "Desk", "platform")
    for res in ("permissions.role", "permissions.user"):
        grants.set_grant(world.root, desk.id, res, "manage")
    grants.add_data_grant(world.root, "merchant", "*", "manage", role_id=desk.id)
    grants.add_data_grant(world.root, "zone", "z1", "read", role_id=desk.id)
    operator = factories.user([desk], email="desk@platform.test")
    target = roles.create_role(world.root, "Viewer", "platform")
    grants.add_data_grant(operator, "zone", "z1", "read", role_id=target.id)
    for value, level in (("z1", "write"), ("z2", "read"), ("*", "read")):
        with pytest.raises(Refused, match="you hold less"):
            grants.add_data_grant(operator, "zone", value, level, role_id=target.id)
    assert [(g.value, g.level) for g in target.data_grants] == [("z1", READ)]
    assert len(audit_rows("data_grant.refused")) == 3
    assert [v for v, _ in grants.grantable_values(operator, target, zones)] == ["z1"]


def test_data_grant_values_are_checked(db, world):
    role = roles.create_role(world.root, "Viewer", "platform")
    with pytest.raises(PermissionsError, match="no data scope"):
        grants.add_data_grant(world.root, "planet", "*", "read", role_id=role.id)
    with pytest.raises(PermissionsError, match="not a value"):
        grants.add_data_grant(world.root, "merchant", "999999", "read", role_id=role.id)
    with pytest.raises(PermissionsError, match="have none"):
        grants.add_data_grant(world.root, "merchant", "@own", "read", role_id=role.id)
    with pytest.raises(PermissionsError, match="remove it"):
        grants.add_data_grant(world.root, "merchant", "*", "none", role_id=role.id)


def test_grantable_values_follow_the_holder_and_the_granter(db, world):
    role = roles.create_role(world.admin1, "Packer", "merchant")
    scope = access.registry().scopes["merchant"]
    assert [v for v, _ in grants.grantable_values(world.admin1, role, scope)] == ["@own", str(world.m1.id)]
    platform_role = roles.create_role(world.root, "Viewer", "platform")
    values = [v for v, _ in grants.grantable_values(world.root, platform_role, scope)]
    assert "*" in values and str(world.m2.id) in values and "@own" not in values


def test_roles_granting_more_than_the_actor_holds_cannot_be_changed(db, world, factories):
    desk = roles.create_role(world.root, "Desk", "platform")
    for res in ("permissions.role", "permissions.user"):
        grants.set_grant(world.root, desk.id, res, "manage")
    grants.add_data_grant(world.root, "merchant", "*", "manage", role_id=desk.id)
    operator = factories.user([desk], email="desk@platform.test")
    finance = builtin(db, "finance")
    assert roles.get_role(finance.id, operator).name == "Finance"  # reading is fine
    for call in (lambda: roles.update_role(operator, finance.id, "Money", ""),
                 lambda: grants.set_grant(operator, finance.id, "core.currency", "none"),
                 lambda: grants.add_data_grant(operator, "merchant", "*", "read", role_id=finance.id)):
        with pytest.raises(PermissionsError, match="grants more than you hold"):
            call()
    assert finance.name == "Finance" and level_of(finance, "core.currency") == MANAGE
    own = roles.create_role(operator, "Helpers", "platform")
    grants.set_grant(operator, own.id, "permissions.user", "read")
    assert level_of(own, "permissions.user") == READ
