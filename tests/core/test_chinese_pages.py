"""A user who picks Simplified Chinese sees the portal's own words in Chinese on
every main page: menu, page titles, built-in names (roles, permissions,
currencies, job intervals) and the messages the kernel composes."""
import re

import pytest

from portal.plugins import kernel

PAGES = ["/", "/plugins/", "/merchants/", "/settings/", "/tokens/", "/currencies/", "/currencies/rates",
         "/jobs/", "/account", "/permissions/users/", "/permissions/roles/", "/permissions/audit/",
         "/catalog/products/", "/catalog/categories/", "/catalog/brands/", "/catalog/review/",
         "/inventory/stock/", "/inventory/warehouses/", "/inventory/anomalies/", "/inventory/import/"]
# English menu entries and headings that must not survive the switch
ENGLISH = ["Dashboard", "Plugins", "Merchants", "Settings", "API tokens", "Currencies", "Scheduled jobs",
           "Platform", "Users", "Roles", "Audit log", "Products", "Sign out", "My account"]


def visible_text(html, data=True):
    """What a reader sees: tags, scripts and styles removed (and table bodies,
    which hold data such as audit summaries, unless ``data``)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    if not data:
        html = re.sub(r"<tbody\b.*?</tbody>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture()
def chinese(client, login_as):
    """A platform admin signed in with Simplified Chinese chosen."""
    login_as("platform_admin")
    assert client.post("/language", data={"locale": "zh_Hans_CN", "next": "/"}).status_code == 302
    return client


@pytest.mark.parametrize("url", PAGES)
def test_main_pages_show_no_english_menu_or_headings(chinese, url):
    response = chinese.get(url)
    assert response.status_code == 200, url
    text = visible_text(response.text, data=False)
    assert "仪表盘" in text and "退出登录" in text
    left = [word for word in ENGLISH if re.search(rf"(?<![\w.]){re.escape(word)}(?![\w.])", text)]
    assert not left, f"{url} still shows {left}"


def test_built_in_names_are_translated(chinese):
    roles = visible_text(chinese.get("/permissions/roles/").text)
    assert "平台管理员" in roles and "商家员工" in roles and "Platform admin" not in roles
    currencies = visible_text(chinese.get("/currencies/?q=USD").text)
    assert "美元" in currencies and "US Dollar" not in currencies
    jobs = visible_text(chinese.get("/jobs/").text)
    assert "1分钟" in jobs and "duration-" not in jobs
    matrix = visible_text(chinese.get("/tokens/new").text)
    assert "商家" in matrix and "Currencies and rates" not in matrix


def test_a_refused_toggle_is_explained_in_chinese(client, login_as, factories):
    platform_only = next(p for p in kernel().plugins.values() if not p.meta.merchant_toggle)
    login_as("merchant_admin", factories.merchant())
    client.post("/language", data={"locale": "zh_Hans_CN", "next": "/"})
    response = client.post(f"/plugins/{platform_only.name}/toggle", data={"enabled": "0"},
                           headers={"HX-Request": "true"})
    assert "不能按商家单独开启或关闭" in response.text
    assert "cannot be switched" not in response.text


def test_english_stays_the_default(client, login_as):
    login_as("platform_admin")
    text = visible_text(client.get("/").text)
    assert "Dashboard" in text and "仪表盘" not in text


def test_bilingual_records_show_their_chinese_names(chinese, db, factories):
    from plugins.catalog.models import Brand, Category, Product
    merchant = factories.merchant()
    category = Category(name_en="Teaware", name_zh="茶具")
    brand = Brand(name_en="Mountain", name_zh="山牌")
    db.session.add(Product(merchant_id=merchant.id, category=category, brand=brand, title_en="Clay teapot",
                           title_zh="紫砂壶"))
    db.session.add(Product(merchant_id=merchant.id, category=category, title_en="Iron kettle"))  # no Chinese title
    db.session.flush()
    rows = visible_text(chinese.get("/catalog/products/?q=t").text)
    assert "茶具" in rows and "山牌" in rows and "Teaware" not in rows
    assert "Iron kettle" in rows  # the English title where the Chinese one is missing
