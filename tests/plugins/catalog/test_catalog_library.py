"""The shared library: category tree, attribute inheritance, brands, who may change them."""
import pytest
from sqlalchemy import select

from plugins.catalog.models import Category
from plugins.catalog.services import CatalogError, library
from portal.access import AccessDenied
from portal.extensions import db as _db
from portal.models import AuditLog, Role, RoleGrant
from tests.conftest import create_merchant, create_user


def test_paths_and_depths_follow_the_tree(lib):
    collars = library.create_category(None, "Collars", parent_id=lib.shirts.id)
    assert lib.clothing.path == f"/{lib.clothing.id}/"
    assert collars.path == f"/{lib.clothing.id}/{lib.shirts.id}/{collars.id}/"
    assert (lib.clothing.depth, lib.shirts.depth, collars.depth) == (0, 1, 2)
    assert collars.ancestor_ids == [lib.clothing.id, lib.shirts.id, collars.id]


def test_siblings_are_ordered_and_the_tree_lists_parents_before_children(lib):
    first = library.create_category(None, "Aprons", parent_id=lib.clothing.id, position=0)
    library.update_category(None, lib.shirts, "Shirts", position=5)
    names = [c.name_en for c in library.tree()]
    assert names.index("Clothing") < names.index("Aprons") < names.index("Trousers") < names.index("Shirts")
    assert names.index("Shirts") < names.index("Electronics")
    assert first.position == 0


def test_moving_a_branch_rewrites_every_path_below_it(lib):
    collars = library.create_category(None, "Collars", parent_id=lib.shirts.id)
    library.move_category(None, lib.shirts, lib.electronics.id)
    assert lib.shirts.path == f"/{lib.electronics.id}/{lib.shirts.id}/"
    assert collars.path == f"/{lib.electronics.id}/{lib.shirts.id}/{collars.id}/"
    assert collars.depth == 2
    library.move_category(None, lib.shirts, None)
    assert (lib.shirts.path, lib.shirts.depth, collars.depth) == (f"/{lib.shirts.id}/", 0, 1)
    assert _db.session.execute(select(AuditLog).where(AuditLog.action == "catalog.category.move")).first()


def test_moving_under_itself_or_its_descendant_is_refused(lib):
    collars = library.create_category(None, "Collars", parent_id=lib.shirts.id)
    for target in (lib.clothing, lib.shirts, collars):
        with pytest.raises(CatalogError, match="New parent: .* lies under it"):
            library.move_category(None, lib.clothing, target.id)
    assert lib.clothing.path == f"/{lib.clothing.id}/"


def test_moving_refused_when_products_use_attributes_the_branch_would_lose(lib, make_product, db):
    merchant = create_merchant()
    make_product(merchant, colours=["Red"])
    with pytest.raises(CatalogError, match="Colour"):
        library.move_category(None, lib.shirts, lib.electronics.id)
    # trousers hold no product: it may go
    library.move_category(None, lib.trousers, lib.electronics.id)


def test_a_category_inherits_its_ancestors_attributes(lib):
    sleeve = library.create_attribute(None, lib.shirts, "sleeve", "Sleeve", kind="param", values=[("Long", "")])
    codes = [a.code for a in library.effective_attributes(lib.shirts)]
    assert codes == ["colour", "size", "material", "origin", "sleeve"]
    assert [a.code for a in library.effective_attributes(lib.trousers)] == ["colour", "size", "material", "origin"]
    assert [a.code for a in library.effective_attributes(lib.shirts, "spec")] == ["colour", "size"]
    assert sleeve.category_id == lib.shirts.id


def test_attribute_codes_cannot_repeat_up_or_down_the_tree(lib):
    with pytest.raises(CatalogError, match="Code: colour is already used"):
        library.create_attribute(None, lib.shirts, "colour", "Shirt colour", kind="spec", values=[("Red", "")])
    library.create_attribute(None, lib.shirts, "fit", "Fit", kind="param")
    with pytest.raises(CatalogError, match="Code: fit"):
        library.create_attribute(None, lib.clothing, "fit", "Fit", kind="param")
    library.create_attribute(None, lib.electronics, "colour", "Colour", kind="spec", values=[("Black", "")])


def test_attribute_input_is_checked(lib):
    with pytest.raises(CatalogError, match="Code:"):
        library.create_attribute(None, lib.shirts, "Bad Code", "X")
    with pytest.raises(CatalogError, match="Kind:"):
        library.create_attribute(None, lib.shirts, "x1", "X", kind="other")
    with pytest.raises(CatalogError, match="Values: a spec attribute needs"):
        library.create_attribute(None, lib.shirts, "x2", "X", kind="spec", values=[])
    with pytest.raises(CatalogError, match="Values, line 2: required"):
        library.parse_values("Red | 红\n | 空")
    assert library.parse_values("Red | 红色\n\nBlue") == [("Red", "红色"), ("Blue", "")]
    with pytest.raises(CatalogError, match="already has the value red"):
        library.add_attribute_value(None, lib.colour, "red")
    assert library.add_attribute_value(None, lib.colour, "Black", "黑色").position == 3


def test_brand_names_are_unique_whatever_the_case(lib):
    with pytest.raises(CatalogError, match="Name \\(English\\): a brand named ACME already exists"):
        library.create_brand(None, "ACME")
    other = library.create_brand(None, "Zenith", "天顶")
    with pytest.raises(CatalogError, match="already exists"):
        library.update_brand(None, other, "acme")
    library.update_brand(None, other, "Zenith Watches", active=False)
    assert (other.name_en, other.active) == ("Zenith Watches", False)


def test_deleting_refused_while_something_depends_on_the_category(lib, make_product):
    with pytest.raises(CatalogError, match="sub-categories"):
        library.delete_category(None, lib.clothing)
    make_product(create_merchant())
    with pytest.raises(CatalogError, match="has products"):
        library.delete_category(None, lib.shirts)
    library.delete_category(None, lib.electronics)
    assert _db.session.get(Category, lib.electronics.id) is None


def test_attributes_in_use_cannot_be_deleted(lib, make_product):
    make_product(create_merchant(), colours=["Red"])
    with pytest.raises(CatalogError, match="used by products"):
        library.delete_attribute(None, lib.colour)
    library.delete_attribute(None, lib.origin)


def test_platform_operator_may_change_the_library(lib):
    operator = create_user("platform_operator")
    library.create_category(operator, "Shoes")


def test_merchant_staff_never_change_the_library_whatever_their_role_says(lib, db):
    merchant = create_merchant()
    role = Role(name="Catalog keeper", kind="merchant", merchant_id=merchant.id)
    role.grants.append(RoleGrant(resource="catalog.library", level=3))
    db.session.add(role)
    db.session.flush()
    keeper = create_user(role, merchant)
    with pytest.raises(AccessDenied, match="Only platform staff"):
        library.create_category(keeper, "Mine")
    staff = create_user("merchant_staff", merchant)
    with pytest.raises(AccessDenied):
        library.create_brand(staff, "Mine")
    finance = create_user("finance")
    with pytest.raises(AccessDenied):
        library.create_category(finance, "Money")
