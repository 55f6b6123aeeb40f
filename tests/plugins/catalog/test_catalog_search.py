"""The product list's search: what it finds, whatever the database. On SQLite
the titles are searched through the FTS5 trigram table the models create
(``catalog_product_search``); these tests check that it finds what the scan
found, follows every write, and that a migrated database gets it too."""
import os
import sqlite3
import subprocess
import sys

import pytest
from sqlalchemy import select, text

from plugins.catalog.models import SEARCH_TABLE, Product
from plugins.catalog.services import products, queries, shelf, skus
from portal.extensions import db as _db
from tests.conftest import create_merchant, create_user

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def _found(q, user=None, sort="title"):
    user = user or create_user("platform_admin")
    query = queries.product_query(queries.ProductFilters(q=q, sort=sort), user)
    return [p.title_en for p in _db.session.execute(query).scalars()]


def _sqlite_only():
    if _db.session.get_bind().dialect.name != "sqlite":
        pytest.skip("the FTS5 table is SQLite's; PostgreSQL searches through pg_trgm indexes")


def _rename(product, title_en, title_zh):
    products.update_product(None, product, {"title_en": title_en, "title_zh": title_zh,
                                            "category_id": product.category_id, "brand_id": product.brand_id})
    _db.session.flush()


@pytest.fixture()
def shop(lib, make_product):
    merchant = create_merchant()
    make_product(merchant, title_en="Linen Shirt", title_zh="亚麻衬衫", prefix="LS")
    make_product(merchant, title_en="Cotton tee", title_zh="棉T恤", prefix="CT")
    make_product(merchant, title_en="Merino scarf", title_zh="美利奴羊毛围巾", prefix="MS")
    return merchant


@pytest.mark.parametrize("q, titles", [
    ("linen", ["Linen Shirt"]),  # 3+ characters: through the index on SQLite
    ("LINEN SH", ["Linen Shirt"]),  # any case, across words
    ("nen sHI", ["Linen Shirt"]),
    ("SCARF", ["Merino scarf"]),  # at the very end of the title
    ("亚麻衬衫", ["Linen Shirt"]),
    ("羊毛围巾", ["Merino scarf"]),
    ("t恤", ["Cotton tee"]),  # 2 characters, mixed scripts, other case
    ("衬衫", ["Linen Shirt"]),  # a 2-character Chinese word, at the end
    ("围巾", ["Merino scarf"]),
    ("棉", ["Cotton tee"]),  # 1 character
    ("Co", ["Cotton tee"]),
    ("ri", ["Merino scarf"]),
    ("e", ["Cotton tee", "Linen Shirt", "Merino scarf"]),
    ("linen shirts", []),  # longer than any title that has it
    ("衬衣", []),
    ("irt 亚", []),  # a match never spans the two titles
])
def test_a_title_matches_anywhere_in_either_language_in_any_case(shop, q, titles):
    assert _found(q) == titles


@pytest.mark.parametrize("q, titles", [
    ("100%", ["100% cotton towel"]),
    ("%", ["100% cotton towel"]),
    ("0% c", ["100% cotton towel"]),
    ("%%%", []),
    ("1_0", []),  # _ is not a wildcard
    ("_", ["snake_case mug"]),
    ("e_c", ["snake_case mug"]),
    ('"', ['The "Quoted" lamp']),
    ('"Quoted"', ['The "Quoted" lamp']),
    ('"quoted', ['The "Quoted" lamp']),  # an unbalanced quote
    ('" lamp', ['The "Quoted" lamp']),
    ("NEAR", ["C++ (NEAR) AND OR* lamp"]),  # FTS5 operators are plain text
    ("(near) and or*", ["C++ (NEAR) AND OR* lamp"]),
    ("*", ["C++ (NEAR) AND OR* lamp"]),
    ("+ (", ["C++ (NEAR) AND OR* lamp"]),
    ("NOT", []),
    ("^lamp", []),
    ("title_en: lamp", []),
    ("{title_zh}:x", []),
    ("a OR b", []),
    ("back\\slash", ["back\\slash hook"]),
    ("\\", ["back\\slash hook"]),
    ("\\s", ["back\\slash hook"]),
    ("\\%", []),
])
def test_wildcards_quotes_and_fts_syntax_are_literal(lib, make_product, q, titles):
    merchant = create_merchant()
    for n, title in enumerate(["100% cotton towel", "snake_case mug", 'The "Quoted" lamp',
                               "C++ (NEAR) AND OR* lamp", "back\\slash hook"]):
        make_product(merchant, title_en=title, title_zh="", prefix=f"W{n}")
    assert _found(q) == titles


def test_sku_codes_and_barcodes_match_exactly_beside_titles(shop, lib, make_product):
    adapter = make_product(shop, title_en="Travel adapter", title_zh="转换插头", prefix="TA")
    make_product(shop, title_en="Spare for ADP-100 adapters", title_zh="", prefix="SP")
    skus.update_sku(None, adapter.skus[0], {"code": "ADP-100", "barcode": "6901234567892", "price": "1",
                                            "currency": "CNY"})
    assert _found("ADP-100") == ["Spare for ADP-100 adapters", "Travel adapter"]  # title or exact code
    assert _found("adp-100") == ["Spare for ADP-100 adapters"]  # the code matches as written
    assert _found("6901234567892") == ["Travel adapter"]
    assert _found("690123456789") == []  # codes and barcodes match whole
    assert _found("ADP") == ["Spare for ADP-100 adapters"]


def test_a_renamed_product_is_found_by_its_new_title_and_not_its_old(shop, db):
    shirt = db.session.execute(select(Product).where(Product.title_en == "Linen Shirt")).scalar_one()
    _rename(shirt, "Oxford blouse", "牛津女衫")
    assert _found("linen") == [] and _found("亚麻衬衫") == [] and _found("衬衫") == []
    assert _found("oxford") == ["Oxford blouse"] and _found("牛津女") == ["Oxford blouse"]
    assert _found("女衫") == ["Oxford blouse"]
    # changes that leave the titles alone keep the product findable
    shelf.put_on_shelf(None, shirt)
    db.session.flush()
    assert _found("blouse") == ["Oxford blouse"]
    _rename(shirt, "Linen Shirt", "亚麻衬衫")
    assert _found("linen") == ["Linen Shirt"] and _found("oxford") == []


def test_a_deleted_product_disappears_from_the_search(shop, db):
    scarf = db.session.execute(select(Product).where(Product.title_en == "Merino scarf")).scalar_one()
    db.session.delete(scarf)
    db.session.flush()
    assert _found("merino") == [] and _found("羊毛围巾") == [] and _found("MS") == []
    assert _found("r") == ["Linen Shirt"]


def test_a_search_stays_within_the_users_merchant(shop, lib, make_product):
    other = create_merchant()
    make_product(other, title_en="Linen trousers", title_zh="亚麻长裤", prefix="QX7")
    staff = create_user("merchant_staff", shop)
    assert _found("linen", staff) == ["Linen Shirt"]
    assert _found("亚麻", staff) == ["Linen Shirt"]
    assert _found("QX7", staff) == []  # the other store's SKU code
    assert _found("QX7", create_user("merchant_staff", other)) == ["Linen trousers"]
    assert _found("linen", create_user("platform_operator")) == ["Linen Shirt", "Linen trousers"]


def test_the_list_page_searches_through_the_index(client, login_as, shop):
    login_as("merchant_staff", shop)
    page = client.get("/catalog/products/?q=SHIRT").get_data(as_text=True)
    assert "Linen Shirt" in page and "Cotton tee" not in page
    for q in ('"', '"unbalanced', "100%", "a:b AND (", "衬衫"):
        assert client.get("/catalog/products/", query_string={"q": q}).status_code == 200
    # a stray NUL is dropped, not sent to the database
    assert "Linen Shirt" in client.get("/catalog/products/?q=lin%00en").get_data(as_text=True)


def _ascii_lower(value):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in value)


def test_sqlite_finds_what_its_like_scan_found(lib, make_product):
    """The index only narrows the rows; what matches is still SQLite's LIKE,
    which folds ASCII case only, so a search finds the same titles at every
    length (the trigram index alone would also fold Ä to ä)."""
    _sqlite_only()
    merchant = create_merchant()
    titles = ["ÄPFEL juice", "äpfel cake", "Straße map", "STRASSE sign", "Ünïcode ÉCOLE", "école bag"]
    for n, title in enumerate(titles):
        make_product(merchant, title_en=title, title_zh="", prefix=f"U{n}")
    for q in ("äpfel", "ÄPFEL", "äpf", "Ä", "ä", "straße", "strasse", "École", "école", "ÉCOLE", "cole", "pfe"):
        expected = sorted(t for t in titles if _ascii_lower(q) in _ascii_lower(t))
        assert _found(q) == expected, q


def test_sqlite_search_with_a_nul_scans_instead_of_failing(shop):
    """FTS5 would end the quoted string at a NUL ("unterminated string")."""
    _sqlite_only()
    assert isinstance(_found("lin\x00en"), list)


def _plan(q, user):
    query = queries.product_query(queries.ProductFilters(q=q), user).limit(51)
    compiled = query.compile(_db.session.get_bind(), compile_kwargs={"literal_binds": True})
    return [row[3] for row in _db.session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]


def test_sqlite_reads_only_the_products_the_index_and_the_codes_name(shop):
    _sqlite_only()
    for user in (create_user("platform_admin"), create_user("merchant_staff", shop)):
        for q in ("linen", "P4321-2"):
            plan = _plan(q, user)
            # FTS5 names a MATCH constraint "M" in its index string; a full scan of it has none
            assert any(step.startswith(f"SCAN {SEARCH_TABLE} VIRTUAL TABLE INDEX") and ":M" in step
                       for step in plan), plan
            # each candidate looked up by its id (through the merchant's index for its staff)
            assert any(step.startswith("SEARCH catalog_product USING") and "id=?" in step for step in plan), plan
            assert not [step for step in plan if step.startswith("SCAN catalog_product") and "VIRTUAL" not in step]
            assert not any(step.startswith("SCAN catalog_sku") for step in plan), plan
    # the 1-2 character search scans: no trigram to look up
    assert "SCAN catalog_product" in _plan("衬衫", create_user("platform_admin"))


def _search_objects(conn):
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name LIKE :p OR "
                        "(type = 'trigger' AND tbl_name = 'catalog_product') ORDER BY type, name",
                        {"p": f"{SEARCH_TABLE}%"})
    return [(kind, name, table, " ".join((sql or "").split())) for kind, name, table, sql in rows]


@pytest.mark.slow
def test_a_migrated_sqlite_database_gets_the_same_search_table_and_triggers(db, tmp_path):
    """``flask db upgrade`` builds what create_all builds (the models' after_create
    DDL), and the triggers keep the index in step with writes made in plain SQL."""
    _sqlite_only()
    from importlib.metadata import entry_points
    plugins = ",".join(sorted(ep.name for ep in entry_points(group="portal.plugins")
                              if ep.value.startswith("plugins.")))
    path = tmp_path / "migrated.db"
    env = dict(os.environ, FLASK_APP="wsgi", PORTAL_DATABASE_URL=f"sqlite:///{path}",
               PORTAL_INSTANCE_PATH=str(tmp_path / "instance"), PORTAL_PLUGINS=plugins)
    result = subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    created = _search_objects(db.session.connection().connection.driver_connection)
    with sqlite3.connect(path) as conn:
        assert _search_objects(conn) == created
        assert {row[1] for row in created} >= {SEARCH_TABLE, f"{SEARCH_TABLE}_insert", f"{SEARCH_TABLE}_update",
                                               f"{SEARCH_TABLE}_delete"}
        conn.execute("INSERT INTO catalog_product (id, merchant_id, category_id, title_en, title_zh, "
                     "description_en, description_zh, review_status, review_reason, shelf_status, created_at, "
                     "updated_at) VALUES (7, 1, 1, 'Bamboo whisk', '竹茶筅', '', '', 'approved', '', 'off', "
                     "'2026-01-01', '2026-01-01')")

        def found(q):
            return [r[0] for r in conn.execute(f"SELECT rowid FROM {SEARCH_TABLE} WHERE {SEARCH_TABLE} MATCH ?",
                                               (f'"{q}"',))]
        assert found("whisk") == [7] and found("竹茶筅") == [7]
        conn.execute("UPDATE catalog_product SET title_en = 'Bamboo ladle' WHERE id = 7")
        assert found("whisk") == [] and found("LADLE") == [7]
        conn.execute("DELETE FROM catalog_product WHERE id = 7")
        assert found("ladle") == [] and found("竹茶筅") == []
        # the index agrees with its content table (FTS5's own consistency check)
        conn.execute(f"INSERT INTO {SEARCH_TABLE}({SEARCH_TABLE}) VALUES ('integrity-check')")
