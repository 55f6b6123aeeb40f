"""Printed documents: Jinja template -> HTML -> WeasyPrint -> PDF, kept once.

Plugins declare the documents they issue (``portal_register_documents``), number
them gap-free per issuer and year, render them with ``render_pdf`` and keep the
issued copy with ``issue``: a document is rendered once and served again byte for
byte, so a re-printed invoice is the invoice that was sent.

Rendering never reaches outside the portal: the resource fetcher serves the
portal's own static files and ``data:`` URLs and refuses everything else
(``file://``, ``http(s)://``), so a merchant-typed value that ends up in a
template cannot read the server's files or make it call another host.
"""
import hashlib
import logging
import mimetypes
import os
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from flask import current_app, g, has_request_context, render_template, send_file
from flask_babel import force_locale, get_locale, gettext
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import safe_join

from . import audit
from .extensions import db
from .models import DocumentCounter, IssuedDocument

LOGGER = logging.getLogger(__name__)

# Relative URLs in a document ("/static/x.css") resolve against this. The
# ``.invalid`` top-level domain never resolves (RFC 2606), and the fetcher
# maps it to files on disk without opening any connection.
BASE_URL = "https://portal.invalid/"

# A Latin face first so digits and Latin text keep their usual shapes; Noto CJK
# (Debian: fonts-noto-cjk) covers Chinese. Pango falls back glyph by glyph.
FONT_FAMILY = '"DejaVu Sans", "Liberation Sans", "Noto Sans CJK SC", "Noto Sans CJK", sans-serif'


@dataclass(frozen=True)
class DocumentKind:
    """A document a plugin issues: ``name`` is unique across plugins (e.g.
    ``finance.invoice``), ``template`` its Jinja template, ``number_prefix``
    what its numbers start with (``INV-`` gives ``INV-2025-000001``)."""

    name: str
    title: str
    template: str
    number_prefix: str = ""
    plugin: str = ""


class DocumentError(Exception):
    """A document cannot be issued; the message says why."""


def init_app(app, kernel):
    """Collect every plugin's ``DocumentKind`` at start-up; a kind declared
    twice raises ``PluginError`` naming both plugins."""
    from .plugins import PluginError

    registry = {}
    for plugin, items in kernel.call_all("portal_register_documents"):
        for kind in items:
            if not isinstance(kind, DocumentKind):
                raise PluginError(f"plugin {plugin!r}: portal_register_documents must return "
                                  f"DocumentKind objects, got {kind!r}")
            if kind.name in registry:
                raise PluginError(f"plugin {plugin!r}: document kind {kind.name!r} is already "
                                  f"declared by plugin {registry[kind.name].plugin!r}")
            registry[kind.name] = DocumentKind(kind.name, kind.title, kind.template,
                                            kind.number_prefix, plugin)
    app.extensions["portal.documents"] = registry


def kinds():
    """The registered document kinds, by name."""
    return current_app.extensions["portal.documents"]


def get_kind(kind):
    """A ``DocumentKind`` from itself or its registered name (``KeyError`` naming it)."""
    if isinstance(kind, DocumentKind):
        return kind
    try:
        return kinds()[kind]
    except KeyError:
        raise KeyError(f"no document kind named {kind!r} is registered") from None


# -- the resource fetcher ----------------------------------------------------------

def _weasyprint():
    # imported on first use: loading Pango costs time every worker would pay at start-up
    import weasyprint
    return weasyprint


def make_fetcher(static_folder=None):
    """A WeasyPrint URL fetcher that serves only ``data:`` URLs and files under
    the portal's static folder (``/static/...``); anything else is refused and
    listed in the fetcher's ``refused`` attribute."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    folder = static_folder or current_app.static_folder
    static_path = (current_app.static_url_path or "/static").rstrip("/") + "/"

    class SafeFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols=("data",), fail_on_errors=False)
            self.refused = []

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = _static_file(url, folder, static_path)
            if path is None:
                self.refused.append(url)
                LOGGER.warning("document resource refused: %s", url[:200])
                raise ValueError(f"resource not allowed in documents: {url[:200]}")
            with open(path, "rb") as fh:
                body = fh.read()
            content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body, {"Content-Type": content_type})

    return SafeFetcher()


def _static_file(url, folder, static_path):
    """The file a ``BASE_URL``-relative static URL names, or None."""
    base = urlsplit(BASE_URL)
    parts = urlsplit(url)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        return None
    path = unquote(parts.path)
    if not path.startswith(static_path) or folder is None:
        return None
    # safe_join answers None for "..", absolute parts and other escapes
    candidate = safe_join(folder, path[len(static_path):])
    if candidate is None or not os.path.isfile(candidate):
        return None
    return candidate


# -- rendering ---------------------------------------------------------------------

def page_label_css():
    """The CSS ``content`` value for "Page X of Y" in the current language,
    with the page counters where the translation puts them."""
    text = gettext("Page %(page)s of %(pages)s", page="\x01", pages="\x02")
    quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'
    return quoted.replace("\x01", '" counter(page) "').replace("\x02", '" counter(pages) "')


def render_html(template_name, **context):
    """The document's HTML, from a template that extends ``documents/base.html``."""
    locale = get_locale()
    context.setdefault("document_lang", str(locale).replace("_", "-") if locale else "en")
    context.setdefault("document_font_family", FONT_FAMILY)
    context.setdefault("page_label_css", page_label_css())
    return render_template(template_name, **context)


def render_pdf(template_name, **context):
    """Render a Jinja template (a name or a ``Template``) to PDF bytes with the
    portal's fonts and the safe fetcher. Text is in the current locale (wrap the
    call in ``flask_babel.force_locale`` to print in another language)."""
    with _locale_outside_requests():
        html = render_html(template_name, **context)
    weasyprint = _weasyprint()
    document = weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=make_fetcher())
    return document.write_pdf()


@contextmanager
def _locale_outside_requests():
    """Outside a request (jobs, CLI) there is no user to ask for a language:
    print in the default locale unless the caller forced one."""
    ctx = getattr(g, "_flask_babel", None) if g else None
    forced = ctx is not None and getattr(ctx, "babel_locale", None) is not None
    if has_request_context() or forced:
        yield
        return
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "en")):
        yield


# -- numbering ---------------------------------------------------------------------

def next_number(kind, issuer, year):
    """The next number of a document kind for an issuer and year, e.g.
    ``INV-2025-000042``. Gap-free: the counter row stays locked until the
    caller's transaction ends, so two transactions never get the same number
    and a rolled-back issue gives its number back."""
    kind = get_kind(kind)
    seq = _increment(kind.name, str(issuer), int(year))
    return format_number(kind, year, seq)


def format_number(kind, year, seq):
    """``<prefix><year>-<seq, six digits>``."""
    return f"{get_kind(kind).number_prefix}{int(year)}-{seq:06d}"


def _increment(kind_name, issuer, year):
    key = (DocumentCounter.kind == kind_name, DocumentCounter.issuer == issuer,
           DocumentCounter.year == year)
    seq = _locked_increment(key)
    if seq is None:
        _create_counter(kind_name, issuer, year)
        seq = _locked_increment(key)
    return seq


def _locked_increment(key):
    if db.session.get_bind().dialect.name == "postgresql":
        # the row lock is held to commit: a second issuer waits, then reads our value
        row = db.session.execute(
            select(DocumentCounter).where(*key).with_for_update()
        ).scalar_one_or_none()
        if row is None:
            return None
        row.last += 1
        db.session.flush()
        return row.last
    # SQLite: the UPDATE takes the database's write lock, held until commit, so
    # the value read back below is ours alone
    result = db.session.execute(
        update(DocumentCounter).where(*key).values(last=DocumentCounter.last + 1)
        .execution_options(synchronize_session=False))
    if result.rowcount == 0:
        return None
    return db.session.execute(select(DocumentCounter.last).where(*key)).scalar_one()


def _create_counter(kind_name, issuer, year):
    """Insert the counter row unless a concurrent transaction just did."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(
        insert(DocumentCounter).values(kind=kind_name, issuer=issuer, year=year, last=0)
        .on_conflict_do_nothing(index_elements=["kind", "issuer", "year"]))


# -- issued copies -----------------------------------------------------------------

def find_issued(kind, reference):
    """The stored document for ``(kind, reference)``, or None."""
    return db.session.execute(
        select(IssuedDocument).where(IssuedDocument.kind == get_kind(kind).name,
                                     IssuedDocument.reference == str(reference))
    ).scalar_one_or_none()


def issue(kind, reference, render, merchant_id=None, actor=None, number=None):
    """Return the document issued for ``(kind, reference)``; the first call
    renders it (``render()`` returns the PDF bytes), stores bytes, SHA-256 and
    size, and writes an audit row. Later calls return the stored copy unchanged.
    Does not commit."""
    kind = get_kind(kind)
    reference = str(reference)
    existing = find_issued(kind, reference)
    if existing is not None:
        return existing
    content = render()
    if not isinstance(content, (bytes, bytearray)) or not bytes(content).startswith(b"%PDF-"):
        raise DocumentError(f"{kind.title} {reference}: the renderer did not return a PDF")
    content = bytes(content)
    doc = IssuedDocument(kind=kind.name, reference=reference, number=number,
                         merchant_id=merchant_id, content=content,
                         sha256=hashlib.sha256(content).hexdigest(), size=len(content),
                         issued_by_id=getattr(actor, "id", None))
    try:
        with db.session.begin_nested():
            db.session.add(doc)
    except IntegrityError:
        # another request issued it between our look-up and insert: theirs stands
        return find_issued(kind, reference)
    audit.record("document.issued", target=f"{kind.name}:{reference}",
                 summary={"number": number, "sha256": doc.sha256, "size": doc.size},
                 plugin=kind.plugin or "core", merchant_id=merchant_id, actor=actor)
    return doc


def send_document(doc, filename):
    """A response with the stored PDF, shown inline, the same bytes every time
    (ETag is the SHA-256, so a browser revalidates instead of downloading)."""
    from io import BytesIO

    response = send_file(BytesIO(doc.content), mimetype="application/pdf", as_attachment=False,
                         download_name=filename, etag=doc.sha256, conditional=True,
                         last_modified=doc.issued_at, max_age=0)
    # documents are confidential: never kept by a shared cache
    response.headers["Cache-Control"] = "private, no-cache"
    return response
