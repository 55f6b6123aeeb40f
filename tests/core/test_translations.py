"""The Simplified Chinese translation covers every string the portal shows."""
import os

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PO = os.path.join(ROOT, "translations", "zh_Hans_CN", "LC_MESSAGES", "messages.po")
METHODS = [("portal/**.py", "python"), ("plugins/**.py", "python"),
           ("templates/**.html", "jinja2"), ("plugins/**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "N_": None}


def extracted_messages():
    found = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT, METHODS, keywords=KEYWORDS, options_map={"**.html": {"extensions": "jinja2.ext.do"}}):
        if filename.startswith(("tests", ".venv", "node_modules", "migrations")):
            continue
        key = message if isinstance(message, str) else message[0]
        found.setdefault(key, f"{filename}:{lineno}")
    return found


def test_every_string_has_a_chinese_translation():
    with open(PO, "rb") as fh:
        catalog = read_po(fh)
    missing = []
    for msgid, where in sorted(extracted_messages().items()):
        entry = catalog.get(msgid)
        text = entry.string if entry is not None else None
        if isinstance(text, (list, tuple)):
            text = all(text) and text[0]
        if not text or (entry is not None and entry.fuzzy):
            missing.append(f"{where}: {msgid!r}")
    assert not missing, f"{len(missing)} strings lack a Chinese translation:\n" + "\n".join(missing[:50])


def test_compiled_catalog_is_used(app, client, login_as):
    login_as("platform_admin")
    client.post("/language", data={"locale": "zh_Hans_CN", "next": "/"})
    page = client.get("/").get_data(as_text=True)
    assert "仪表板" in page or "仪表盘" in page
