"""The platform's shared library: the category tree, brands and attribute
templates. Only platform staff with ``catalog.library`` write change it."""
import re

from flask_babel import gettext, gettext as _
from portal.audit import record
from portal.extensions import db
from portal.i18n import N_, in_language
from sqlalchemy import func, or_, select

from ..models import (ATTRIBUTE_KINDS, Attribute, AttributeValue, Brand, Category, Product, ProductParam,
                      ProductSpecValue)
from . import CatalogError, integer, require, require_platform, text

RESOURCE = "catalog.library"
CODE = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


def _guard(actor):
    require(actor, RESOURCE, "write")
    require_platform(actor, N_("change the shared catalog library"))


# -- categories -------------------------------------------------------------------

def get_category(category_id, field="Category"):
    """The category with this id, or ``CatalogError`` naming the field."""
    category = db.session.get(Category, integer(category_id, field, required=True))
    if category is None:
        raise CatalogError(_("%(field)s: no category with id %(id)s.", field=_(field), id=category_id))
    return category


def create_category(actor, name_en, name_zh="", parent_id=None, position=None):
    """Add a category under ``parent_id`` (a root when None), last among its
    siblings unless ``position`` is given."""
    _guard(actor)
    name_en = text(name_en, "Name (English)", 120, required=True)
    name_zh = text(name_zh, "Name (Chinese)", 120)
    parent = get_category(parent_id, "Parent") if parent_id not in (None, "") else None
    position = integer(position, "Position", minimum=0)
    if position is None:
        position = _next_position(parent.id if parent else None)
    category = Category(name_en=name_en, name_zh=name_zh, parent=parent, position=position,
                        depth=(parent.depth + 1) if parent else 0)
    db.session.add(category)
    db.session.flush()
    category.path = f"{parent.path if parent else '/'}{category.id}/"
    record("catalog.category.create", target=category.path, plugin="catalog", actor=actor,
           summary={"name_en": name_en, "parent": parent.id if parent else None})
    return category


def _next_position(parent_id):
    last = db.session.execute(select(func.max(Category.position)).where(
        Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id)).scalar()
    return 0 if last is None else last + 1


def update_category(actor, category, name_en, name_zh="", position=None, active=True):
    """Rename, reorder among siblings, or (de)activate a category. An inactive
    category cannot be chosen for products; existing ones keep it."""
    _guard(actor)
    changes = {"name_en": text(name_en, "Name (English)", 120, required=True),
               "name_zh": text(name_zh, "Name (Chinese)", 120), "active": bool(active)}
    position = integer(position, "Position", minimum=0)
    if position is not None:
        changes["position"] = position
    diff = {k: [getattr(category, k), v] for k, v in changes.items() if getattr(category, k) != v}
    for key, value in changes.items():
        setattr(category, key, value)
    if diff:
        record("catalog.category.update", target=category.path, plugin="catalog", actor=actor, summary=diff)
    return category


def descendants_query(category):
    """Ids of the category and every category below it (uses the path index)."""
    return select(Category.id).where(Category.path.like(f"{category.path}%"))


def move_category(actor, category, new_parent_id, position=None):
    """Move a category with its whole branch under another parent (None: make it
    a root). Refused under itself or its own descendant, and when products in
    the branch use attributes inherited from ancestors the branch would lose."""
    _guard(actor)
    new_parent = get_category(new_parent_id, N_("New parent")) if new_parent_id not in (None, "") else None
    if new_parent is not None and new_parent.path.startswith(category.path):
        raise CatalogError(_("New parent: %(parent)s is %(category)s itself or lies under it; "
                             "choose a category outside this branch.", parent=new_parent.name_en,
                             category=category.name_en))
    _check_lost_attributes(category, new_parent)
    _check_code_clashes(category, new_parent)
    old_path = category.path
    new_prefix = f"{new_parent.path if new_parent else '/'}{category.id}/"
    depth_shift = ((new_parent.depth + 1) if new_parent else 0) - category.depth
    branch = db.session.execute(select(Category).where(Category.path.like(f"{old_path}%"))).scalars().all()
    for node in branch:
        node.path = new_prefix + node.path[len(old_path):]
        node.depth += depth_shift
    position = integer(position, N_("Position"), minimum=0)
    if position is None:
        with db.session.no_autoflush:
            position = _next_position(new_parent.id if new_parent else None)
    category.parent, category.position = new_parent, position
    record("catalog.category.move", target=category.name_en, plugin="catalog", actor=actor,
           summary={"from": old_path, "to": new_prefix, "categories": len(branch)})
    return category


def _inherited_attribute_ids(category_ids):
    return set(db.session.execute(select(Attribute.id).where(Attribute.category_id.in_(category_ids))).scalars())


def _check_lost_attributes(category, new_parent):
    old_ancestors = category.ancestor_ids[:-1]
    new_ancestors = new_parent.ancestor_ids if new_parent else []
    lost = _inherited_attribute_ids(old_ancestors) - _inherited_attribute_ids(new_ancestors)
    if not lost:
        return
    in_branch = select(Product.id).where(Product.category_id.in_(descendants_query(category)))
    used = db.session.execute(
        select(Attribute.name_en).where(Attribute.id.in_(lost), or_(
            Attribute.id.in_(select(ProductSpecValue.attribute_id).where(ProductSpecValue.product_id.in_(in_branch))),
            Attribute.id.in_(select(ProductParam.attribute_id).where(ProductParam.product_id.in_(in_branch)))))
    ).scalars().all()
    if used:
        raise CatalogError(_("New parent: products under %(category)s use the inherited attribute(s) "
                             "%(names)s, which the new place does not have; "
                             "declare them on the new parent first.", category=category.name_en,
                             names=", ".join(sorted(used))))


def _check_code_clashes(category, new_parent):
    new_ancestors = new_parent.ancestor_ids if new_parent else []
    above = set(db.session.execute(select(Attribute.code).where(Attribute.category_id.in_(new_ancestors))).scalars())
    branch = set(db.session.execute(select(Attribute.code).where(
        Attribute.category_id.in_(descendants_query(category)))).scalars())
    clash = sorted(above & branch)
    if clash:
        raise CatalogError(_("New parent: attribute code(s) %(codes)s exist both in the branch and above "
                             "the new place; rename one first.", codes=", ".join(clash)))


def delete_category(actor, category):
    """Delete a category that has no sub-categories, products or attributes."""
    _guard(actor)
    if db.session.execute(select(Category.id).where(Category.parent_id == category.id).limit(1)).first():
        raise CatalogError(_("%(name)s has sub-categories; move or delete them first.", name=category.name_en))
    if db.session.execute(select(Product.id).where(Product.category_id == category.id).limit(1)).first():
        raise CatalogError(_("%(name)s has products; move them to another category first.", name=category.name_en))
    if db.session.execute(select(Attribute.id).where(Attribute.category_id == category.id).limit(1)).first():
        raise CatalogError(_("%(name)s has attributes; delete them first.", name=category.name_en))
    record("catalog.category.delete", target=category.path, plugin="catalog", actor=actor,
           summary={"name_en": category.name_en})
    db.session.delete(category)
    db.session.flush()


def tree():
    """Every category as ``[(category, depth), ...]`` in display order: each
    parent followed by its children, siblings by position."""
    rows = db.session.execute(select(Category).order_by(Category.position, Category.id)).scalars().all()
    children = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    ordered = []

    def walk(parent_id):
        for node in children.get(parent_id, ()):
            ordered.append(node)
            walk(node.id)
    walk(None)
    return ordered


def is_leaf(category):
    """True when no category has this one as parent."""
    return db.session.execute(select(Category.id).where(Category.parent_id == category.id).limit(1)).first() is None


def leaf_choices():
    """``[(id, "Clothing › Shirts"), ...]``: the active categories without
    children, in tree order, named with their ancestors (what products use),
    in the reader's language."""
    nodes = tree()
    names = {c.id: in_language(c, "name") for c in nodes}
    parents = {c.parent_id for c in nodes if c.parent_id is not None}
    return [(c.id, " › ".join(names[i] for i in c.ancestor_ids if i in names))
            for c in nodes if c.id not in parents and c.active]


# -- brands -------------------------------------------------------------------------

def _brand_name_taken(name_en, brand=None):
    query = select(Brand.id).where(func.lower(Brand.name_en) == name_en.lower())
    if brand is not None:
        query = query.where(Brand.id != brand.id)
    return db.session.execute(query).first() is not None


def create_brand(actor, name_en, name_zh="", logo=None):
    """Add a brand; the English name is unique (case-insensitively)."""
    _guard(actor)
    name_en = text(name_en, "Name (English)", 120, required=True)
    if _brand_name_taken(name_en):
        raise CatalogError(_("Name (English): a brand named %(name)s already exists.", name=name_en))
    brand = Brand(name_en=name_en, name_zh=text(name_zh, "Name (Chinese)", 120), logo=logo)
    db.session.add(brand)
    db.session.flush()
    record("catalog.brand.create", target=name_en, plugin="catalog", actor=actor)
    return brand


def update_brand(actor, brand, name_en, name_zh="", active=True, logo=None):
    """Rename or (de)activate a brand; ``logo`` replaces the logo when given."""
    _guard(actor)
    name_en = text(name_en, "Name (English)", 120, required=True)
    if _brand_name_taken(name_en, brand):
        raise CatalogError(_("Name (English): a brand named %(name)s already exists.", name=name_en))
    summary = {"name_en": [brand.name_en, name_en], "active": [brand.active, bool(active)]}
    brand.name_en, brand.name_zh, brand.active = name_en, text(name_zh, "Name (Chinese)", 120), bool(active)
    if logo is not None:
        brand.logo = logo
        summary["logo"] = logo.id
    record("catalog.brand.update", target=name_en, plugin="catalog", actor=actor, summary=summary)
    return brand


# -- attributes ---------------------------------------------------------------------

def effective_attributes(category, kind=None):
    """The attributes a category has: its own and its ancestors', root first."""
    order = {cid: i for i, cid in enumerate(category.ancestor_ids)}
    query = select(Attribute).where(Attribute.category_id.in_(order))
    if kind is not None:
        query = query.where(Attribute.kind == kind)
    rows = db.session.execute(query).scalars().all()
    return sorted(rows, key=lambda a: (order[a.category_id], a.position, a.id))


def parse_values(raw):
    """Allowed values from a textarea: one per line, ``English | 中文``."""
    values = []
    for number, line in enumerate((raw or "").splitlines(), start=1):
        if not line.strip():
            continue
        en, _, zh = line.partition("|")
        label = gettext("Values, line %(number)s", number=number)  # not _(): ``_`` holds the separator here
        values.append((text(en, label, 120, required=True), text(zh, label, 120)))
    return values


def create_attribute(actor, category, code, name_en, name_zh="", kind="spec", values=()):
    """Declare an attribute on a category. Its code must not exist above or
    below the category, since descendants inherit it."""
    _guard(actor)
    code = (code or "").strip().lower()
    if not CODE.match(code):
        raise CatalogError(_("Code: a lower-case letter, then letters, digits or '_' (at most 50)."))
    if kind not in ATTRIBUTE_KINDS:
        raise CatalogError(_("Kind: choose spec (makes SKUs) or param (describes the product)."))
    related = set(category.ancestor_ids) | set(db.session.execute(descendants_query(category)).scalars())
    if db.session.execute(select(Attribute.id).where(Attribute.category_id.in_(related),
                                                     Attribute.code == code)).first():
        raise CatalogError(_("Code: %(code)s is already used by this category, one above it or one below it.",
                             code=code))
    if kind == "spec" and not values:
        raise CatalogError(_("Values: a spec attribute needs at least one allowed value."))
    attribute = Attribute(category=category, code=code, name_en=text(name_en, "Name (English)", 120, True),
                          name_zh=text(name_zh, "Name (Chinese)", 120), kind=kind,
                          position=len(effective_attributes(category)))
    db.session.add(attribute)
    db.session.flush()
    for en, zh in values:
        _add_value(attribute, en, zh)
    record("catalog.attribute.create", target=code, plugin="catalog", actor=actor,
           summary={"category": category.id, "kind": kind, "values": [v[0] for v in values]})
    return attribute


def _add_value(attribute, value_en, value_zh):
    if any(v.value_en.lower() == value_en.lower() for v in attribute.values):
        raise CatalogError(_("Values: %(name)s already has the value %(value)s.", name=attribute.name_en,
                             value=value_en))
    value = AttributeValue(value_en=value_en, value_zh=value_zh, position=len(attribute.values))
    attribute.values.append(value)
    db.session.flush()
    return value


def add_attribute_value(actor, attribute, value_en, value_zh=""):
    """Add an allowed value; products choose it from then on."""
    _guard(actor)
    value = _add_value(attribute, text(value_en, "Value (English)", 120, required=True),
                       text(value_zh, "Value (Chinese)", 120))
    record("catalog.attribute.value", target=attribute.code, plugin="catalog", actor=actor,
           summary={"value_en": value.value_en})
    return value


def delete_attribute(actor, attribute):
    """Delete an attribute no product uses."""
    _guard(actor)
    used = db.session.execute(select(ProductSpecValue.product_id).where(
        ProductSpecValue.attribute_id == attribute.id).limit(1)).first() or db.session.execute(
        select(ProductParam.product_id).where(ProductParam.attribute_id == attribute.id).limit(1)).first()
    if used:
        raise CatalogError(_("%(name)s is used by products; it cannot be deleted.", name=attribute.name_en))
    record("catalog.attribute.delete", target=attribute.code, plugin="catalog", actor=actor)
    db.session.delete(attribute)
    db.session.flush()
