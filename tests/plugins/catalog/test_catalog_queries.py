"""The product list query: search, filters, sort, scope; dashboard figures."""
from werkzeug.datastructures import MultiDict

from plugins.catalog.services import library, queries, shelf, skus
from portal.extensions import db as _db
from portal.paging import paginate
from tests.conftest import create_merchant, create_user


def _titles(filters, user=None):
    user = user or create_user("platform_admin")
    return [p.title_en for p in _db.session.execute(queries.product_query(filters, user)).scalars()]


def test_search_matches_titles_in_both_languages_and_exact_codes(lib, make_product):
    merchant = create_merchant()
    shirt = make_product(merchant, title_en="Linen Shirt", title_zh="亚麻衬衫", prefix="LS")
    make_product(merchant, title_en="Cotton tee", title_zh="棉T恤", prefix="CT")
    skus.update_sku(None, shirt.skus[0], {"code": "LS", "barcode": "6901234567892", "price": "1",
                                          "currency": "CNY"})
    assert _titles(queries.ProductFilters(q="linen")) == ["Linen Shirt"]
    assert _titles(queries.ProductFilters(q="棉")) == ["Cotton tee"]
    assert _titles(queries.ProductFilters(q="CT")) == ["Cotton tee"]  # exact SKU code
    assert _titles(queries.ProductFilters(q="6901234567892")) == ["Linen Shirt"]
    assert _titles(queries.ProductFilters(q="690123")) == []  # codes and barcodes match whole
    assert _titles(queries.ProductFilters(q="100%")) == []  # wildcards are literal


def test_category_filter_includes_the_children(lib, make_product):
    merchant = create_merchant()
    make_product(merchant, title_en="Shirt", prefix="A")
    make_product(merchant, title_en="Trousers", category_id=lib.trousers.id, prefix="B")
    make_product(merchant, title_en="Radio", category_id=lib.electronics.id, prefix="C")
    collars = library.create_category(None, "Collars", parent_id=lib.shirts.id)
    make_product(merchant, title_en="Collar", category_id=collars.id, prefix="D")
    by_category = queries.ProductFilters(category_id=lib.clothing.id, sort="title")
    assert _titles(by_category) == ["Collar", "Shirt", "Trousers"]
    assert _titles(queries.ProductFilters(category_id=lib.shirts.id, sort="title")) == ["Collar", "Shirt"]
    assert _titles(queries.ProductFilters(category_id=999999)) == []


def test_filters_by_brand_merchant_shelf_and_review_and_sorts(lib, make_product, review_on):
    first, second = create_merchant(), create_merchant()
    staff = create_user("merchant_staff", first)
    a = make_product(first, title_en="Alpha", prefix="A")
    make_product(first, title_en="Beta", prefix="B", brand_id=None)
    make_product(second, title_en="Gamma", prefix="C")
    make_product(first, title_en="Delta", prefix="D", actor=staff)
    shelf.put_on_shelf(None, a)
    assert _titles(queries.ProductFilters(brand_id=lib.brand.id, sort="title")) == ["Alpha", "Delta", "Gamma"]
    assert _titles(queries.ProductFilters(merchant_id=second.id)) == ["Gamma"]
    assert _titles(queries.ProductFilters(shelf="on")) == ["Alpha"]
    assert _titles(queries.ProductFilters(review="pending")) == ["Delta"]
    assert _titles(queries.ProductFilters(sort="-title")) == ["Gamma", "Delta", "Beta", "Alpha"]
    assert _titles(queries.ProductFilters(sort="id")) == ["Alpha", "Beta", "Gamma", "Delta"]


def test_merchant_staff_list_only_their_own_products(lib, make_product):
    mine, other = create_merchant(), create_merchant()
    make_product(mine, title_en="Mine", prefix="M")
    make_product(other, title_en="Theirs", prefix="T")
    staff = create_user("merchant_staff", mine)
    assert _titles(queries.ProductFilters(), staff) == ["Mine"]
    # asking for the other merchant explicitly changes nothing
    assert _titles(queries.ProductFilters(merchant_id=other.id), staff) == []
    assert sorted(_titles(queries.ProductFilters(), create_user("platform_operator"))) == ["Mine", "Theirs"]


def test_filters_from_arguments_ignore_what_does_not_parse():
    filters = queries.ProductFilters.from_args(MultiDict({"q": "  shirt ", "category": "x", "brand": "3",
                                                          "shelf": "sideways", "review": "pending",
                                                          "sort": "drop table"}))
    assert (filters.q, filters.category_id, filters.brand_id, filters.shelf, filters.review, filters.sort) == \
        ("shirt", None, 3, "", "pending", "-id")


def test_pages_without_a_count_still_know_there_is_a_next_page(lib, make_product):
    merchant = create_merchant()
    for n in range(5):
        make_product(merchant, title_en=f"P{n}", prefix=f"P{n}")
    admin = create_user("platform_admin")
    page = paginate(queries.product_query(queries.ProductFilters(sort="id"), admin), 1, per_page=2, count=False)
    assert [p.title_en for p in page.items] == ["P0", "P1"] and page.has_next and page.total is None
    last = paginate(queries.product_query(queries.ProductFilters(sort="id"), admin), 3, per_page=2, count=False)
    assert [p.title_en for p in last.items] == ["P4"] and not last.has_next


def test_sku_summaries_give_count_and_price_range(lib, make_product):
    product = make_product(create_merchant(), colours=["Red", "Blue"], prefix="R")
    skus.update_price(None, product.skus[0], "120")
    summary = queries.sku_summaries([product.id])[product.id]
    assert (summary.count, str(summary.low), str(summary.high), summary.currency) == (2, "99.00", "120.00", "CNY")


def test_dashboard_counts_stay_in_the_users_scope(lib, make_product, review_on):
    mine, other = create_merchant(), create_merchant()
    staff = create_user("merchant_staff", mine)
    shelf.put_on_shelf(None, make_product(mine, prefix="A"))
    make_product(mine, actor=staff, prefix="B")
    shelf.put_on_shelf(None, make_product(other, prefix="C"))
    assert queries.dashboard_counts(staff) == {"on_shelf": 1, "pending": 1}
    assert queries.dashboard_counts(create_user("platform_operator")) == {"on_shelf": 2, "pending": 1}
