"""Regions templates pick from: the portal's region tree (``portal.regions``:
ISO 3166 countries, China's provinces and their prefecture-level cities),
plus ``*`` for everywhere a template's other zones do not name.

Codes: ``CN`` (a country), ``CN-GD`` (a province), ``440300`` (a city,
GB/T 2260), ``*``. A destination is matched by its most specific code: the
city when the address has one, else the province or country."""
from flask_babel import get_locale, gettext as _

from portal import regions as tree
from portal.regions import CITY, COUNTRY, PROVINCE

from .models import ELSEWHERE

__all__ = ["CITY", "COUNTRY", "PROVINCE", "ELSEWHERE", "children", "choices", "countries", "exists", "label",
           "match_rank", "ranks", "destination", "province_of"]


def _locale():
    return str(get_locale() or "en")


def label(code):
    """The region's name in the user's language, with its code."""
    if code == ELSEWHERE:
        return _("Everywhere else")
    return tree.label(code, _locale())


def exists(code):
    """Is ``code`` a region templates may name?"""
    return code == ELSEWHERE or tree.get(code) is not None


def children(code):
    """The codes under ``code`` (China's provinces, a province's cities), sorted."""
    return tree.children(code)


def countries():
    """Every country code, sorted by code."""
    return tree.countries()


def choices():
    """``[(code, label, depth)]``: each country, China followed by its provinces
    (cities are loaded per province when asked: 332 of them would double the page)."""
    rows = []
    for code in countries():
        rows.append((code, label(code), 0))
        rows.extend((sub, label(sub), 1) for sub in children(code))
    return rows


def province_of(code):
    """The province a city belongs to; the code itself for any other region."""
    region = tree.get(code)
    return region.parent if region is not None and region.level == CITY else code


def destination(region, city_code=""):
    """The most specific code of an address: its city when it has one, else its region."""
    return city_code or region


def ranks(destination_code):
    """``{zone code: rank}`` of the codes that cover a destination, higher is
    closer: the destination itself (its city, or its province, or its
    country), then each region above it, then everywhere else (0)."""
    above = tree.chain(destination_code)
    found = {code: len(above) - n for n, code in enumerate(above)}
    found[ELSEWHERE] = 0
    return found


def match_rank(zone_code, destination_code):
    """How closely a zone's code covers a destination (see ``ranks``), or None when it does not cover it."""
    return ranks(destination_code).get(zone_code)
