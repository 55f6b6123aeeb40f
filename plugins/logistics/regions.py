"""Regions templates pick from: every ISO 3166-1 country, and for China its
ISO 3166-2 provinces, autonomous regions, municipalities and special
administrative regions, all read from ``pycountry``. Cities are not offered:
an order carries its destination as an ISO region code (``CN-GD``), so a
freight zone can be no finer than a province.

Codes: ``CN`` (the country), ``CN-GD`` (a province), ``*`` (everywhere a
template's other zones do not name)."""
import gettext
from dataclasses import dataclass
from functools import lru_cache

import pycountry
from flask_babel import get_locale, gettext as _

from .models import ELSEWHERE

SUBDIVIDED = ("CN",)


@dataclass(frozen=True)
class Region:
    """A node of the tree: its code, English name and children (codes)."""

    code: str
    name: str
    parent: str = ""


@lru_cache(maxsize=1)
def _tree():
    regions = {}
    for country in pycountry.countries:
        regions[country.alpha_2] = Region(country.alpha_2, getattr(country, "common_name", None) or country.name)
    for code in SUBDIVIDED:
        for sub in sorted(pycountry.subdivisions.get(country_code=code), key=lambda s: s.code):
            if sub.parent_code is None:
                regions[sub.code] = Region(sub.code, sub.name, code)
    return regions


@lru_cache(maxsize=4)
def _translations(locale):
    """The ISO names in ``locale`` shipped with pycountry (none: English)."""
    found = {}
    for domain in ("iso3166-1", "iso3166-2"):
        try:
            found[domain] = gettext.translation(domain, pycountry.LOCALES_DIR, languages=[locale])
        except OSError:
            found[domain] = gettext.NullTranslations()
    return found


def label(code):
    """The region's name in the user's language, with its code."""
    if code == ELSEWHERE:
        return _("Everywhere else")
    region = _tree().get(code)
    if region is None:
        return code
    locale = str(get_locale() or "en")
    name = region.name
    if not locale.startswith("en"):
        domain = "iso3166-2" if region.parent else "iso3166-1"
        name = _translations("zh_CN" if locale.startswith("zh") else locale)[domain].gettext(region.name)
    return f"{name} ({code})"


def exists(code):
    """Is ``code`` a region templates may name?"""
    return code == ELSEWHERE or code in _tree()


def children(code):
    """The codes under ``code`` (China's provinces), sorted."""
    return [r.code for r in _tree().values() if r.parent == code]


def countries():
    """Every country code, sorted by code."""
    return sorted(r.code for r in _tree().values() if not r.parent)


def choices():
    """``[(code, label, depth)]``: each country, China followed by its provinces."""
    rows = []
    for code in countries():
        rows.append((code, label(code), 0))
        rows.extend((sub, label(sub), 1) for sub in children(code))
    return rows


def match_rank(zone_code, region):
    """How closely a zone's code covers a destination (higher is closer), or
    None when it does not cover it: the province itself, then its country,
    then everywhere else."""
    if zone_code == region:
        return 2
    if "-" in region and zone_code == region.split("-", 1)[0]:
        return 1
    if zone_code == ELSEWHERE:
        return 0
    return None
