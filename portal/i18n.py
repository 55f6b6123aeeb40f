"""Languages: English source strings, Simplified Chinese translation; each user
picks one (stored on the user; before sign-in, in the session)."""
import os
from datetime import timezone

from flask import g, has_request_context, request, session
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
    # Flask-Babel's template callables, reading the translations once per locale per request
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True)
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


def _translations():
    """This request's translations. Flask-Babel finds the locale, the domain
    and its cache again on every string, and a page shows a hundred; they are
    kept beside Flask-Babel's own per-request locale, so ``force_locale`` and
    ``refresh`` (which replace that locale object) still take effect."""
    from flask_babel import get_translations
    ctx = g.get("_flask_babel") if has_request_context() else None
    hit = getattr(ctx, "portal_translations", None)
    if hit is not None and hit[0] is getattr(ctx, "babel_locale", None):
        return hit[1]
    translations = get_translations()
    ctx = g.get("_flask_babel") if has_request_context() else None
    if getattr(ctx, "babel_locale", None) is not None:
        ctx.portal_translations = (ctx.babel_locale, translations)
    return translations


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

    The same text as Babel's ``format_datetime(value, format)``, without its
    per-call look-ups: the zone, the locale and the patterns are found once
    per request, as a list shows a time on every row."""
    if not value:
        return "—"
    from flask import g
    if "portal_time_context" not in g:
        from flask_babel import get_locale, get_timezone
        g.portal_time_context = (get_timezone(), get_locale(), {})
    tz, locale, patterns = g.portal_time_context
    pattern = patterns.get(format)
    if pattern is None:
        pattern = patterns[format] = _datetime_pattern(format, locale)
    moment = value.replace(tzinfo=timezone.utc).astimezone(tz)
    if isinstance(pattern, tuple):
        glue, time_pattern, date_pattern, days = pattern
        day = moment.date()
        written = days.get(day)
        if written is None:  # a list's rows mostly share a few days
            written = days[day] = date_pattern.apply(day, locale)
        return glue.replace("{0}", time_pattern.apply(moment.timetz(), locale, reference_date=day)) \
            .replace("{1}", written)
    return pattern.apply(moment, locale)


def _datetime_pattern(format, locale):
    """What ``babel.dates.format_datetime`` builds for ``format`` on every
    call: a named length joins the locale's time and date patterns with its
    glue (quotes dropped, as Babel does), with the dates written so far;
    anything else is a pattern."""
    from babel import dates
    if format in ("full", "long", "medium", "short"):
        return (dates.get_datetime_format(format, locale=locale).replace("'", ""),
                dates.parse_pattern(dates.get_time_format(format, locale=locale)),
                dates.parse_pattern(dates.get_date_format(format, locale=locale)), {})
    return dates.parse_pattern(format)
