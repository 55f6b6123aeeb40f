"""Turning checked rows (``imports.Parsed``) into a plan, and carrying it out.

``plan`` matches every row to the merchant's catalog by SKU code and decides
per product: create, update or leave unchanged; each problem found on the way
(a code used twice in the file or by another product, a bad price, a spec
value that does not fit) is added to the issues with its row and column.
``import_write.apply`` then writes a plan without issues.
"""
from dataclasses import dataclass, field

from flask_babel import gettext as _
from portal.extensions import db
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..models import SPEC, Product, Sku
from . import skus
from .import_fields import SkuFieldChecker

CHUNK = 500


@dataclass
class SkuPlan:
    """A row's SKU: new (``sku`` None, ``fields`` complete) or existing
    (``fields`` holds only what changes)."""

    line: int
    code: str
    sku: Sku | None
    fields: dict
    values: list = field(default_factory=list)


@dataclass
class ProductPlan:
    """What happens to one product of the file."""

    key: str
    line: int
    product: Product | None
    content: dict
    params: dict | None = None  # the complete new parameters, when they change
    new_values: list = field(default_factory=list)
    new_skus: list = field(default_factory=list)
    changed_skus: list = field(default_factory=list)
    unchanged_skus: int = 0

    @property
    def content_changed(self):
        """New, or its content (not only prices) changes: review applies."""
        return self.product is None or bool(self.content or self.params is not None or self.new_values)

    @property
    def action(self):
        """``create``, ``update`` or ``unchanged``."""
        if self.product is None:
            return "create"
        return "update" if self.content_changed or self.new_skus or self.changed_skus else "unchanged"

    @property
    def title(self):
        """The title after the import."""
        return self.content.get("title_en") or (self.product.title_en if self.product else self.key)


class Plan:
    """The outcome of checking a file: product plans, issues, warnings."""

    def __init__(self, merchant, parsed):
        self.merchant, self.parsed = merchant, parsed
        self.products = []
        self.rows = parsed.rows
        self.warnings = parsed.warnings
        self.types = parsed.types

    @property
    def issues(self):
        """Every problem, in the order of the rows."""
        return sorted(self.parsed.issues, key=lambda i: (i.line, i.column))

    def count(self, action):
        """Products that will be created / updated / left unchanged."""
        return sum(1 for p in self.products if p.action == action)

    @property
    def skus_created(self):
        """SKUs the import adds."""
        return sum(len(p.new_skus) for p in self.products)

    @property
    def skus_updated(self):
        """Existing SKUs whose fields change."""
        return sum(len(p.changed_skus) for p in self.products)


def _chunks(items):
    items = list(items)
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def _existing(merchant_id, codes, product_ids):
    """The merchant's SKUs with these codes and the products concerned, with
    their SKUs, spec values and parameters loaded in a few queries."""
    found = {}
    for chunk in _chunks(codes):
        for sku in db.session.execute(select(Sku).where(Sku.merchant_id == merchant_id, Sku.code.in_(chunk))).scalars():
            found[sku.code] = sku
    ids = {s.product_id for s in found.values()} | set(product_ids)
    products = {}
    for chunk in _chunks(ids):
        query = select(Product).where(Product.merchant_id == merchant_id, Product.id.in_(chunk)).options(
            selectinload(Product.skus), selectinload(Product.spec_values), selectinload(Product.params))
        products.update((p.id, p) for p in db.session.execute(query).scalars())
    return found, products


def plan(actor, merchant, parsed):
    """Match the drafts to the merchant's catalog; returns the ``Plan``."""
    result = Plan(merchant, parsed)
    if parsed.issues and not parsed.drafts:
        return result
    if not parsed.drafts and not parsed.issues:
        parsed.issue(2, "", _("the file has a header row but no products."))
        return result
    drafts = list(parsed.drafts.values())
    skipped = _duplicate_codes(drafts, parsed)
    codes = {s.code for d in drafts for s in d.skus if s.code}
    existing, products = _existing(merchant.id, codes, {d.product_id for d in drafts if d.product_id})
    targets = {}
    for draft in drafts:
        if draft.broken:
            continue
        planned = ProductPlanner(draft, parsed, merchant, existing, products, skipped).plan()
        if planned is None:
            continue
        if planned.product is not None and planned.product.id in targets:
            parsed.issue(draft.line, parsed.columns["product_key"], _(
                "these rows update product #%(id)s, as the rows of %(other)s (row %(row)s) do; one product's rows "
                "share one key.", id=planned.product.id, other=targets[planned.product.id].key,
                row=targets[planned.product.id].line))
            continue
        if planned.product is not None:
            targets[planned.product.id] = planned
        result.products.append(planned)
    return result


def _duplicate_codes(drafts, parsed):
    """Report a SKU code given twice in the file; returns the later rows."""
    seen, skipped = {}, set()
    for sku in sorted((s for d in drafts for s in d.skus), key=lambda s: s.line):
        if sku.code and sku.code in seen:
            parsed.issue(sku.line, parsed.columns["code"], _(
                "the SKU code %(code)s is also on row %(row)s; each SKU code appears once.",
                code=sku.code, row=seen[sku.code]))
            skipped.add(sku.line)
        seen.setdefault(sku.code, sku.line)
    return skipped


class ProductPlanner:
    """Plans one product draft; problems go to ``parsed`` with row and column."""

    def __init__(self, draft, parsed, merchant, existing, products, skipped):
        self.draft, self.parsed, self.merchant = draft, parsed, merchant
        self.existing, self.products, self.skipped = existing, products, skipped
        self.countries = parsed.countries
        self.ok = True

    def issue(self, line, column, message):
        """Report a problem of this product's rows; the product is not planned."""
        self.ok = False
        self.parsed.issue(line, column, message)

    def column(self, name):
        """The file's name for a field's column ("price", "Variant Price")."""
        return self.parsed.columns.get(name, name)

    def plan(self):
        """A ``ProductPlan``, or None when a problem leaves nothing to plan."""
        product = self._target()
        if product is False:
            return None
        planned = ProductPlan(self.draft.key, self.draft.line, product, self._content(product))
        planned.params = self._params(product)
        self._skus(planned, product)
        return planned if self.ok else None

    def _target(self):
        """The existing product the rows update, None for a new one, False
        when the rows' SKU codes belong to another product than they say."""
        owners, fresh = {}, []
        for sku in self.draft.skus:
            match = self.existing.get(sku.code)
            if sku.line in self.skipped or not sku.code:
                continue
            if match is None:
                fresh.append(sku)
            else:
                owners.setdefault(match.product_id, sku)
        named = self.products.get(self.draft.product_id)
        if named is not None:
            return self._other_owners(owners, named.id) or named
        if len(owners) > 1:
            first_id, first = next(iter(owners.items()))
            return self._other_owners(owners, first_id, first)
        if owners and fresh and self.parsed.strict_refs:
            (owner_id, sku), = owners.items()
            owner = self.products[owner_id]
            # new rows beside a code of a product with another title: most likely a code typed twice
            if self.draft.content.get("title_en", owner.title_en) != owner.title_en:
                self.issue(sku.line, self.column("code"), _(
                    "the SKU code %(code)s belongs to another product, #%(other)s (%(title)s), while row %(row)s of "
                    "this product is a new SKU; write %(other)s as the product_ref to add SKUs to #%(other)s, or "
                    "give this row a new SKU code.", code=sku.code, other=owner_id, title=owner.title_en,
                    row=fresh[0].line))
                return False
        return self.products[next(iter(owners))] if owners else None

    def _other_owners(self, owners, product_id, first=None):
        """Report each row whose SKU code belongs to a product other than
        ``product_id``; False when there is one."""
        others = [(pid, sku) for pid, sku in owners.items() if pid != product_id]
        for other_id, sku in others:
            where = (_("row %(row)s's SKU %(code)s belongs to product #%(product)s", row=first.line,
                       code=first.code, product=product_id) if first is not None
                     else _("this product is #%(product)s", product=product_id))
            self.issue(sku.line, self.column("code"), _(
                "the SKU code %(code)s belongs to another product, #%(other)s (%(title)s), but %(where)s; a SKU "
                "code names one SKU of one product.", code=sku.code, other=other_id,
                title=self.products[other_id].title_en, where=where))
        return False if others else None

    def _content(self, product):
        content = dict(self.draft.content)
        category = self.draft.category
        if product is not None:
            content = {k: v for k, v in content.items() if getattr(product, k) != v}
        if "category_id" in content:
            if not category.active:
                self.issue(self.draft.line, self.column("category"), _("%(name)s is inactive; choose another.",
                                                                        name=category.name_en))
            elif category.id not in self.parsed.library.leaves:
                self.issue(self.draft.line, self.column("category"), _(
                    "%(name)s has sub-categories; choose one of them.", name=category.name_en))
        if product is not None and "category_id" in content:
            used = {sv.attribute_id for sv in product.spec_values}
            allowed = {a.id for a in self.library_spec(category)}
            if used - allowed:
                self.issue(self.draft.line, self.column("category"), _(
                    "%(name)s lacks spec attributes this product's SKUs use; choose a category that has them.",
                    name=category.name_en))
        return content

    def library_spec(self, category):
        """The spec attributes products of ``category`` have."""
        return self.parsed.library.effective(category, SPEC)

    def _params(self, product):
        if self.draft.params is None:
            return None
        current = {p.attribute_id: (p.value_id, p.text) for p in product.params} if product is not None else {}
        wanted = {k: v for k, v in current.items() if k not in self.draft.param_attributes}
        wanted.update(self.draft.params)
        return wanted if wanted != current or product is None else None

    def _skus(self, planned, product):
        used = self._used_attributes(product)
        keys = {s.spec_key: s for s in product.skus} if product is not None else {}
        seen = {}
        for draft in self.draft.skus:
            if draft.line in self.skipped or not draft.code:
                continue
            sku = self.existing.get(draft.code)
            key = self._spec_key(draft, used)
            if sku is not None:
                self._existing_sku(planned, draft, sku, key)
                continue
            if key is None:
                continue
            clash = keys.get(key) or seen.get(key)
            if clash is not None:
                self._clash(draft, key, clash)
                continue
            seen[key] = draft
            fields = self._sku_fields(draft, None)
            if fields is not None:
                planned.new_skus.append(SkuPlan(draft.line, draft.code, None, fields, draft.values or []))
        have = {sv.value_id for sv in product.spec_values} if product is not None else set()
        new_values = {v.id: v for s in planned.new_skus for v in s.values if v.id not in have}
        planned.new_values = list(new_values.values())

    def _used_attributes(self, product):
        """The spec attributes every SKU of the product carries."""
        if product is not None and product.skus:
            return {sv.attribute_id for sv in product.spec_values}
        first = next((s for s in self.draft.skus if s.values is not None), None)
        return {v.attribute_id for v in first.values} if first else set()

    def _spec_key(self, draft, used):
        """The row's spec key, or None when its values do not fit the product."""
        if draft.values is None:
            return None if used else ""
        attrs = [v.attribute_id for v in draft.values]
        if len(set(attrs)) != len(attrs):
            self.issue(draft.line, self.column("code"), _("two values of the same spec attribute on one row."))
            return None
        if set(attrs) != used:
            names = self._attribute_names(used)
            missing = sorted(used - set(attrs))
            column = self._spec_column(missing[0]) if missing else self.column("code")
            self.issue(draft.line, column, _(
                "every SKU of this product needs exactly one value of: %(names)s (as its other rows).",
                names=names or _("no spec attribute")))
            return None
        return skus.spec_key(draft.values)

    def _attribute_names(self, ids):
        category = self.draft.category
        return ", ".join(a.name_en for a in self.library_spec(category) if a.id in ids)

    def _spec_column(self, attribute_id):
        if attribute_id in self.draft.spec_columns:
            return self.draft.spec_columns[attribute_id]
        code = next((a.code for a in self.library_spec(self.draft.category) if a.id == attribute_id), "")
        return f"spec:{code}"

    def _clash(self, draft, key, clash):
        label = " / ".join(v.value_en for v in draft.values or []) or _("no spec values")
        if isinstance(clash, Sku):
            message = _("the product already has a SKU with %(label)s (code %(code)s); change that row instead.",
                        label=label, code=clash.code)
        else:
            message = _("row %(row)s of this product already has %(label)s; SKUs of one product differ by their "
                        "spec values.", row=clash.line, label=label)
        self.issue(draft.line, self.column("code"), message)

    def _existing_sku(self, planned, draft, sku, key):
        if key is not None and draft.values is not None and key != sku.spec_key:
            self.issue(draft.line, self.column("code"), _(
                "the SKU %(code)s is %(label)s; a SKU's spec values cannot change: give this row a new SKU code.",
                code=sku.code, label=sku.label or _("without spec values")))
            return
        fields = self._sku_fields(draft, sku)
        if fields:
            planned.changed_skus.append(SkuPlan(draft.line, draft.code, sku, fields))
        elif fields is not None:
            planned.unchanged_skus += 1

    def _sku_fields(self, draft, sku):
        """The SKU's checked fields: all of them for a new SKU, the changed
        ones for an existing SKU; None after a problem."""
        checker = SkuFieldChecker(self, draft, sku, self.merchant)
        fields = checker.check()
        if fields is None or sku is None:
            return fields
        return {k: v for k, v in fields.items() if getattr(sku, k) != v}
