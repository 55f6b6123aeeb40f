"""Documents: PDFs with Chinese text, a fetcher that reaches nothing outside the
portal, issued copies served byte for byte, gap-free numbering."""
import io
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
import weasyprint
from pypdf import PdfReader
from sqlalchemy import delete, func, select

from portal import documents
from portal.documents import DocumentError, DocumentKind, issue, next_number, render_pdf, send_document
from portal.extensions import db as _db
from portal.models import AuditLog, DocumentCounter, IssuedDocument
from portal.plugins import PluginError

INVOICE = DocumentKind("test.invoice", "Test invoice", "documents/base.html", "INV-", "test")


def sample_pdf(app, body):
    """A PDF from a template extending the portal's print layout, with ``body``
    as its content (passed as data, so nothing in it is read as Jinja)."""
    tpl = app.jinja_env.from_string('{% extends "documents/base.html" %}{% block title %}Sample{% endblock %}'
                                    "{% block content %}{{ body|safe }}{% endblock %}")
    return render_pdf(tpl, body=body)


def pdf_text(pdf):
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def pdf_fonts(pdf):
    """BaseFont names of every font used on every page (composite fonts included)."""
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.get_object().values():
            font = ref.get_object()
            names.add(str(font["/BaseFont"]))
            for child in font.get("/DescendantFonts", []):
                names.add(str(child.get_object()["/BaseFont"]))
    return names


@pytest.fixture()
def fetchers(monkeypatch):
    """The fetchers render_pdf made, to read what they refused."""
    made = []
    original = documents.make_fetcher

    def capture(*args, **kwargs):
        made.append(original(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(documents, "make_fetcher", capture)
    return made


# -- rendering -------------------------------------------------------------------------

def test_chinese_text_renders_with_noto_cjk_after_a_latin_font(app, db):
    with app.test_request_context():
        pdf = sample_pdf(app, "<h1>Invoice 发票</h1><p>收货人：张三, total 128.00</p>")
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert "Invoice 发票" in text
    assert "收货人：张三" in text
    fonts = pdf_fonts(pdf)
    assert any("NotoSansCJK" in f.replace("-", "") for f in fonts), fonts
    assert any("DejaVu" in f for f in fonts), fonts  # the Latin text is set in the Latin face


def test_page_numbers_say_page_x_of_y(app, db):
    rows = "".join(f"<p>Line {n}</p>" for n in range(120))
    with app.test_request_context():
        pdf = sample_pdf(app, rows)
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) >= 2
    assert f"Page 1 of {len(pages)}" in pages[0].extract_text()
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1].extract_text()


def test_header_block_repeats_on_every_page(app, db):
    tpl = app.jinja_env.from_string(
        '{% extends "documents/base.html" %}{% block header %}ACME Trading 有限公司{% endblock %}'
        '{% block content %}' + "".join(f"<p>Row {n}</p>" for n in range(120)) + "{% endblock %}")
    with app.test_request_context():
        pages = PdfReader(io.BytesIO(render_pdf(tpl))).pages
    assert len(pages) >= 2
    assert all("ACME Trading 有限公司" in page.extract_text() for page in pages)


def test_renders_outside_a_request(app, db):
    """Jobs and CLI commands print documents too: no request, default language."""
    pdf = sample_pdf(app, "<p>Statement 结算单</p>")
    assert "Statement 结算单" in pdf_text(pdf)


# -- the fetcher -------------------------------------------------------------------------

LEAK_CSS = 'body::after { content: "%s"; }'


def test_file_urls_are_refused(app, db, tmp_path, fetchers):
    leak = tmp_path / "leak.css"
    leak.write_text(LEAK_CSS % "LEAKED-FROM-DISK")
    body = (f'<link rel="stylesheet" href="{leak.as_uri()}">'
            '<img src="file:///etc/passwd" alt=""><p>Body text</p>')
    with app.test_request_context():
        text = pdf_text(sample_pdf(app, body))
    assert "Body text" in text
    assert "LEAKED-FROM-DISK" not in text
    assert fetchers[0].refused == [leak.as_uri(), "file:///etc/passwd"]
    # the same page through WeasyPrint's own fetcher does read the file: the check above can fail
    html = f'<link rel="stylesheet" href="{leak.as_uri()}"><p>Body text</p>'
    assert "LEAKED-FROM-DISK" in pdf_text(weasyprint.HTML(string=html).write_pdf())


class _Recorder(BaseHTTPRequestHandler):
    requests = []

    def do_GET(self):
        self.requests.append(self.path)
        body = (LEAK_CSS % "LEAKED-FROM-NETWORK").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture()
def http_server():
    _Recorder.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", _Recorder.requests
    finally:
        server.shutdown()
        server.server_close()


def test_http_and_https_urls_are_refused_without_a_connection(app, db, http_server, fetchers):
    base, seen = http_server
    body = (f'<link rel="stylesheet" href="{base}/leak.css">'
            f'<img src="{base}/pixel.png" alt=""><img src="https://example.com/x.png" alt="">'
            "<p>Body text</p>")
    with app.test_request_context():
        text = pdf_text(sample_pdf(app, body))
    assert "LEAKED-FROM-NETWORK" not in text
    assert seen == []
    assert sorted(fetchers[0].refused) == sorted([f"{base}/leak.css", f"{base}/pixel.png",
                                                  "https://example.com/x.png"])
    # control: WeasyPrint's default fetcher would have called the server
    weasyprint.HTML(string=f'<link rel="stylesheet" href="{base}/leak.css"><p>x</p>').write_pdf()
    assert seen == ["/leak.css"]


def test_data_urls_and_own_static_files_are_allowed(app, db, fetchers):
    css = "data:text/css," + (LEAK_CSS % "FROM-DATA-URL").replace(" ", "%20").replace('"', "%22")
    body = f'<link rel="stylesheet" href="{css}"><link rel="stylesheet" href="/static/portal.css"><p>x</p>'
    with app.test_request_context():
        text = pdf_text(sample_pdf(app, body))
    assert "FROM-DATA-URL" in text
    assert fetchers[0].refused == []


def test_static_fetcher_serves_only_files_inside_the_static_folder(app):
    with app.app_context():
        fetcher = documents.make_fetcher()
        with open(f"{app.static_folder}/portal.css", "rb") as fh:
            expected = fh.read()
        assert fetcher(documents.BASE_URL + "static/portal.css").read() == expected
        for url in ["static/../__init__.py", "static/%2e%2e/__init__.py", "static/..%2f__init__.py",
                    "static/missing.css", "portal/__init__.py"]:
            with pytest.raises(ValueError, match="not allowed"):
                fetcher(documents.BASE_URL + url)
        # the same path on any other host is not ours
        with pytest.raises(ValueError, match="not allowed"):
            fetcher("https://example.com/static/portal.css")


# -- registration -------------------------------------------------------------------------

def _kernel(results):
    return SimpleNamespace(call_all=lambda hook: results if hook == "portal_register_documents" else [])


def test_kinds_are_collected_with_their_plugin():
    app = SimpleNamespace(extensions={})
    documents.init_app(app, _kernel([("finance", [DocumentKind("finance.invoice", "Invoice",
                                                                "finance/invoice.html", "INV-")])]))
    assert app.extensions["portal.documents"]["finance.invoice"].plugin == "finance"


def test_a_kind_declared_twice_fails_at_start_naming_both_plugins():
    kind = DocumentKind("x.statement", "Statement", "x.html")
    with pytest.raises(PluginError, match=r"'b'.*x\.statement.*'a'"):
        documents.init_app(SimpleNamespace(extensions={}), _kernel([("a", [kind]), ("b", [kind])]))
    with pytest.raises(PluginError, match="DocumentKind"):
        documents.init_app(SimpleNamespace(extensions={}), _kernel([("a", ["x.statement"])]))


def test_the_app_has_a_document_registry(app):
    assert isinstance(app.extensions["portal.documents"], dict)


# -- issued copies -----------------------------------------------------------------------

def test_issued_once_and_served_byte_for_byte(app, db):
    renders = []

    def render():
        renders.append(1)
        return sample_pdf(app, "<p>Invoice 发票 INV-2025-000001</p>")

    with app.test_request_context():
        doc = issue(INVOICE, "order-17", render, number="INV-2025-000001")
        db.session.commit()
        again = issue(INVOICE, "order-17", lambda: pytest.fail("rendered a second time"))
    assert again.id == doc.id and len(renders) == 1
    stored = db.session.get(IssuedDocument, doc.id)
    assert stored.size == len(stored.content)
    import hashlib
    assert stored.sha256 == hashlib.sha256(stored.content).hexdigest()
    audit_row = db.session.execute(select(AuditLog).where(AuditLog.action == "document.issued",
                                                          AuditLog.target == "test.invoice:order-17")).scalar_one()
    assert audit_row.plugin == "test" and stored.sha256 in audit_row.summary

    bodies = []
    for _ in range(2):
        db.session.expire_all()  # read back from the database, as a later request does
        with app.test_request_context():
            response = send_document(db.session.get(IssuedDocument, doc.id), "INV-2025-000001.pdf")
            response.direct_passthrough = False
            bodies.append(response.get_data())
            assert response.mimetype == "application/pdf"
            assert response.headers["Content-Disposition"].startswith("inline")
            assert "INV-2025-000001.pdf" in response.headers["Content-Disposition"]
            assert response.headers["ETag"].strip('"') == doc.sha256
    assert bodies[0] == bodies[1] == stored.content
    assert "发票" in pdf_text(bodies[0])


def test_two_requests_issuing_at_once_keep_the_first_copy(app, db, monkeypatch):
    first = issue(INVOICE, "order-19", lambda: b"%PDF-1.7 first copy")
    real_find = documents.find_issued
    calls = []

    def missed_once(kind, reference):
        # the second request looked before the first one's row was visible
        calls.append(reference)
        return None if len(calls) == 1 else real_find(kind, reference)

    monkeypatch.setattr(documents, "find_issued", missed_once)
    again = issue(INVOICE, "order-19", lambda: b"%PDF-1.7 second copy")
    assert again.id == first.id and again.content == b"%PDF-1.7 first copy"
    assert db.session.execute(select(func.count()).select_from(AuditLog).where(
        AuditLog.target == "test.invoice:order-19")).scalar() == 1


def test_a_renderer_that_returns_no_pdf_stores_nothing(app, db):
    with pytest.raises(DocumentError, match="did not return a PDF"):
        issue(INVOICE, "order-18", lambda: b"<html>not a pdf</html>")
    assert db.session.execute(select(IssuedDocument).where(IssuedDocument.reference == "order-18")).first() is None


def test_unknown_kind_names_are_refused(app, db):
    with pytest.raises(KeyError, match="no.such"):
        issue("no.such", "1", lambda: b"%PDF-")


# -- numbering -----------------------------------------------------------------------------

def test_numbers_are_gap_free_per_kind_issuer_and_year(db):
    assert [next_number(INVOICE, "merchant:1", 2025) for _ in range(3)] == [
        "INV-2025-000001", "INV-2025-000002", "INV-2025-000003"]
    assert next_number(INVOICE, "merchant:2", 2025) == "INV-2025-000001"
    assert next_number(INVOICE, "merchant:1", 2026) == "INV-2026-000001"
    other = DocumentKind("test.credit_note", "Credit note", "x.html", "CN-")
    assert next_number(other, "merchant:1", 2025) == "CN-2025-000001"
    assert next_number(INVOICE, "merchant:1", 2025) == "INV-2025-000004"


def test_a_rolled_back_issue_gives_its_number_back(db):
    assert next_number(INVOICE, "merchant:9", 2025) == "INV-2025-000001"
    savepoint = db.session.begin_nested()
    assert next_number(INVOICE, "merchant:9", 2025) == "INV-2025-000002"
    savepoint.rollback()
    assert next_number(INVOICE, "merchant:9", 2025) == "INV-2025-000002"


@pytest.mark.parametrize("counter_exists", [False, True], ids=["new-counter", "existing-counter"])
@pytest.mark.parametrize("first_ends_with", ["commit", "rollback"])
def test_two_transactions_never_share_a_number(app, first_ends_with, counter_exists):
    """The second transaction waits for the first; it gets the next number when
    the first commits, and the same number when the first rolls back."""
    kind = DocumentKind(f"test.c{uuid.uuid4().hex[:12]}", "Concurrent", "x.html", "C-")
    holding, results = threading.Event(), {}
    start = 0
    if counter_exists:
        with app.app_context():
            next_number(kind, "platform", 2025)
            _db.session.commit()
            _db.session.remove()
        start = 1

    def first():
        with app.app_context():
            try:
                results["first"] = next_number(kind, "platform", 2025)
                holding.set()
                time.sleep(0.6)
                getattr(_db.session, first_ends_with)()
            finally:
                holding.set()
                _db.session.remove()

    def second():
        holding.wait(10)
        with app.app_context():
            try:
                started = time.monotonic()
                results["second"] = next_number(kind, "platform", 2025)
                results["waited"] = time.monotonic() - started
                _db.session.commit()
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert results["first"] == f"C-2025-{start + 1:06d}"
        expected = start + 2 if first_ends_with == "commit" else start + 1
        assert results["second"] == f"C-2025-{expected:06d}"
        assert results["waited"] > 0.3  # it really waited for the first transaction's lock
    finally:
        with app.app_context():
            _db.session.execute(delete(DocumentCounter).where(DocumentCounter.kind == kind.name))
            _db.session.commit()
            _db.session.remove()
