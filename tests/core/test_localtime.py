"""Times and strings on pages: the user's zone and language, as Babel would write them."""
from datetime import datetime, timezone

import pytest
from babel.dates import format_datetime
from flask_babel import force_locale, get_babel, get_timezone

from portal.i18n import localtime

MOMENTS = [datetime(2026, 1, 5, 23, 30, 15), datetime(2026, 7, 1, 4, 5, 6), datetime(2024, 2, 29, 12, 0, 0)]


@pytest.mark.parametrize("locale", ["en", "zh_Hans_CN"])
@pytest.mark.parametrize("zone", ["UTC", "Asia/Shanghai", "America/New_York"])
@pytest.mark.parametrize("format", ["short", "medium", "long", "full", "yyyy-MM-dd HH:mm"])
def test_localtime_writes_what_babel_writes(app, monkeypatch, locale, zone, format):
    with app.test_request_context(), force_locale(locale):
        monkeypatch.setattr(get_babel(), "timezone_selector", lambda: zone)  # as a signed-in user's zone
        assert str(get_timezone()) == zone
        expected = [format_datetime(m.replace(tzinfo=timezone.utc), format, tzinfo=get_timezone(), locale=locale)
                    for m in MOMENTS]
        assert [localtime(m, format) for m in MOMENTS] == expected


def test_no_time_is_a_dash(app):
    with app.test_request_context():
        assert localtime(None) == "—"


def test_templates_follow_a_forced_language_and_return_to_the_users(app):
    page = app.jinja_env.from_string("{{ _('Orders') }}")
    with app.test_request_context():
        assert page.render() == "Orders"
        with force_locale("zh_Hans_CN"):
            assert page.render() == "订单"
        assert page.render() == "Orders"
