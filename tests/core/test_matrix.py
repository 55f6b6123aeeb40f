"""Every GET route the application has (core and plugins, however many are
installed) x every built-in role: no page fails, and a merchant's staff never
see another merchant's data.

The demo data (``flask portal demo``: ACME, BLUE, PANDA and every plugin's own
demo records) is the world. Routes that take ids are filled with real ids:
another merchant's record must look exactly like a record that does not exist
(the same 404, or the same 403 when the page is closed to the user anyway)."""
import re

from sqlalchemy import select

from portal import access
from portal.demo import DEMO_PASSWORD, load_demo
from portal.extensions import db
from portal.models import Merchant

MISSING_ID = 10 ** 9
ROLES = ("platform_admin", "platform_operator", "finance", "merchant_admin", "merchant_staff")


def identity(code, name):
    """What identifies a demo merchant in a page: its code as a word of its own
    or starting a reference (``BLUE``, ``BLUE-TENT01``, but not another
    merchant's ``ACME-CUP-BLUEANDWHITE``), its name and its staff's e-mails."""
    marks = [rf"(?<![A-Za-z0-9-]){code}(?![A-Za-z0-9])", name, f"{code.lower()}-admin@", f"{code.lower()}-staff@"]
    return [re.compile(mark if mark.startswith("(?") else re.escape(mark)) for mark in marks]


IDENTITY = {"ACME": identity("ACME", "Acme Home Goods"), "BLUE": identity("BLUE", "Blue River Outdoor")}
OTHER = {"ACME": "BLUE", "BLUE": "ACME"}
# a search that matches the other merchant's records: the echo in the search box is
# not identifying ("Blue River" is not "Blue River Outdoor")
SEARCH = {"ACME": "Blue River", "BLUE": "Acme Home"}


def get_routes(app):
    """``[(rule, argument names)]`` of every GET route but static files."""
    routes = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        routes.append((rule, sorted(rule.arguments)))
    return sorted(routes, key=lambda r: r[0].rule)


def models_by_table():
    return {mapper.class_.__tablename__: mapper.class_ for mapper in db.Model.registry.mappers
            if hasattr(mapper.class_, "__tablename__")}


def model_for(rule, argument, tables):
    """The model an ``<int:thing_id>`` argument names: the table ``<plugin>_thing``
    of the route's plugin first, then any ``*_thing`` table; None if unsure."""
    if f"<int:{argument}>" not in rule.rule or not argument.endswith("_id"):
        return None
    noun = argument[:-3]
    prefix = rule.rule.strip("/").split("/")[0]
    for table in (f"{prefix}_{noun}", f"portal_{noun}"):
        if table in tables:
            return tables[table]
    candidates = [t for t in tables if t.endswith(f"_{noun}")]
    return tables[candidates[0]] if len(candidates) == 1 else None


def merchant_column(model):
    columns = access.scope_columns(model)
    return columns.get("merchant", getattr(model, "merchant_id", None))


def record_id(model, merchant):
    """The id of one of ``merchant``'s records (any record for platform data)."""
    column = merchant_column(model)
    query = select(model.__mapper__.primary_key[0])
    if column is not None:
        query = query.where(column == merchant.id)
    return db.session.execute(query.order_by(model.__mapper__.primary_key[0]).limit(1)).scalar()


def fill(rule, arguments, tables, merchant):
    """``{argument: id}`` of the merchant's records for every argument, or None
    when an argument cannot be filled. Also says whether the record belongs to
    the merchant (False for platform data such as brands)."""
    values, owned = {}, False
    for argument in arguments:
        model = model_for(rule, argument, tables)
        if model is None:
            return None, False
        value = record_id(model, merchant)
        if value is None:
            return None, False
        values[argument] = value
        owned = owned or merchant_column(model) is not None
    return values, owned


class Matrix:
    def __init__(self, app, client):
        self.app, self.client, self.problems, self.requests = app, client, [], 0
        self.tables = models_by_table()

    def get(self, url, who, htmx=False):
        """GET as the signed-in user; a 5xx or an exception (the test app
        propagates them) is noted and answered as a 500."""
        self.requests += 1
        try:
            response = self.client.get(url, headers={"HX-Request": "true"} if htmx else {})
        except Exception as exc:  # noqa: BLE001 - every failing route is listed, not only the first
            db.session.rollback()
            response = self.app.response_class(f"{type(exc).__name__}: {exc}", status=500)
        if response.status_code >= 500:
            self.problems.append(f"{who}: GET {url}{' (htmx)' if htmx else ''} -> {response.status_code} "
                                 f"{response.get_data(as_text=True)[:200]}")
        return response

    def check_leak(self, response, url, who, other):
        if other is None or not response.content_type.startswith(("text/", "application/json")):
            return
        text = response.get_data(as_text=True)
        leaked = [found.group(0) for found in (mark.search(text) for mark in IDENTITY[other]) if found]
        if leaked:
            self.problems.append(f"{who}: GET {url} -> {response.status_code} shows {other}'s {leaked}")

    def visit(self, url, who, other, htmx=True):
        """GET a page; for merchant staff (``other`` set) also its HTMX partial."""
        response = self.get(url, who)
        self.check_leak(response, url, who, other)
        if other and htmx and response.status_code == 200 and "HX-Request" in response.vary:
            self.check_leak(self.get(url, who, htmx=True), f"{url} (htmx)", who, other)
        return response

    def run_for(self, who, own, other):
        """Every route for one signed-in user; ``own``/``other`` are merchant
        codes (None for platform staff)."""
        merchants = {m.code: m for m in db.session.execute(select(Merchant)).scalars()}
        for rule, arguments in get_routes(self.app):
            if not arguments:
                response = self.visit(rule.rule, who, other)
                if own and response.status_code == 200:
                    self.visit(f"{rule.rule}?q={SEARCH[own]}", who, other, htmx=False)
                continue
            for code in filter(None, (own or "ACME", other or "BLUE")):
                values, owned = fill(rule, arguments, self.tables, merchants[code])
                if values is None:
                    continue
                response = self.visit(rule.build(values)[1], who, other)
                if code == other and owned:
                    self.check_hidden(rule, arguments, response, who)

    def check_hidden(self, rule, arguments, response, who):
        """Another merchant's record answers like a missing one."""
        missing = self.get(rule.build({a: MISSING_ID for a in arguments})[1], who)
        if response.status_code not in (403, 404) or response.status_code != missing.status_code:
            self.problems.append(f"{who}: {rule.rule} with another merchant's record -> {response.status_code}, "
                                 f"with a missing one -> {missing.status_code}")


def sign_in(client, email):
    client.post("/logout")
    response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302, f"{email} cannot sign in"


def test_no_route_fails_or_shows_another_merchant(app, client):
    load_demo(echo=lambda *a: None)
    matrix = Matrix(app, client)
    users = [(f"{r}@demo.test", r, None, None) for r in ("admin", "operator", "finance")]
    for code in ("ACME", "BLUE"):
        for role in ("admin", "staff"):
            users.append((f"{code.lower()}-{role}@demo.test", f"merchant_{role} of {code}", code, OTHER[code]))
    for email, who, own, other in users:
        sign_in(client, email)
        matrix.run_for(who, own, other)
    assert not matrix.problems, "\n".join(matrix.problems)
    assert matrix.requests > 100


def test_the_matrix_fills_record_routes_with_real_ids(app, db):
    """The matrix above is only as good as its reach: the record pages of the
    core must be among the routes it fills."""
    load_demo(echo=lambda *a: None)
    acme = db.session.execute(select(Merchant).where(Merchant.code == "ACME")).scalar_one()
    tables = models_by_table()
    filled = {rule.rule for rule, arguments in get_routes(app)
              if arguments and fill(rule, arguments, tables, acme)[0] is not None}
    assert "/merchants/<int:merchant_id>" in filled
    assert "/permissions/users/<int:user_id>" in filled or "permissions" not in app.extensions["portal.plugins"].plugins
