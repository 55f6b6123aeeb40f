"""Languages: English source strings, Simplified Chinese translation; each user
picks one (stored on the user; before sign-in, in the session)."""
import os
from datetime import timezone

from flask import has_request_context, request, session
from flask_login import current_user

from .extensions import babel

def N_(text):
    """Mark a string for translation where it is defined (menu names, plugin
    titles) and translate it where it is shown (``_(name)`` in templates)."""
    return text


LANGUAGES = {"en": "English", "zh_Hans_CN": "简体中文"}


def select_locale():
    if not has_request_context():
        return None  # CLI commands and jobs: the default language, no session to read
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    if session.get("locale") in LANGUAGES:
        return session["locale"]
    return request.accept_languages.best_match(["en", "zh"]) == "zh" and "zh_Hans_CN" or "en"


def select_timezone():
    if current_user and current_user.is_authenticated:
        return current_user.timezone
    return None


def init_app(app):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    directories = [os.path.join(root, "translations")]
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone,
                   default_translation_directories=";".join(directories))
    from flask_babel import get_locale
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, get_locale=get_locale)
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["currency_name"] = currency_name
    app.jinja_env.filters["in_language"] = in_language
    app.jinja_env.filters["region_label"] = region_label


def region_label(code):
    """A region's name in the user's language with its code: ``Shenzhen (440300)``."""
    from flask_babel import get_locale

    from . import regions
    return regions.label(code, str(get_locale() or "en"))


def in_language(record, field):
    """A bilingual record's ``<field>_zh`` for a reader of Chinese when it is
    filled in, else its ``<field>_en``: ``{{ product|in_language('title') }}``."""
    from flask_babel import get_locale
    if record is None:
        return ""
    locale = get_locale()
    if locale is not None and locale.language == "zh":
        chinese = getattr(record, f"{field}_zh", "")
        if chinese:
            return chinese
    return getattr(record, f"{field}_en", "")


def currency_name(code, stored=""):
    """A currency's name in the user's language (CLDR); the stored (English)
    name for English and for codes CLDR does not know."""
    from flask_babel import get_locale
    locale = get_locale()
    if locale is None or locale.language == "en":
        return stored or code
    return locale.currencies.get(code) or stored or code


def localtime(value, format="medium"):
    """A stored (naive UTC) time shown in the user's time zone; '—' for none.

    The zone and locale are looked up once per request: a list shows a time
    on every row."""
    if not value:
        return "—"
    from babel.dates import format_datetime
    from flask import g
    from flask_babel import get_locale, get_timezone
    if "portal_time_context" not in g:
        g.portal_time_context = (get_timezone(), get_locale())
    tz, locale = g.portal_time_context
    return format_datetime(value.replace(tzinfo=timezone.utc).astimezone(tz), format, locale=locale)
