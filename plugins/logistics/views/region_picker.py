"""The zone editor's region picker: China's provinces with check boxes, each
province's cities loaded only when it is opened (HTMX), so the editor does not
carry 332 cities per zone row. Applying it writes the chosen codes into the
row's regions field; codes the picker does not offer (other countries) stay
as they were typed."""
from .. import regions

CHINA = "CN"


def typed_codes(raw):
    """The codes in a regions field, upper case, each once, in the order typed."""
    return list(dict.fromkeys((raw or "").upper().replace(",", " ").split()))


def _offered():
    """Every code the picker offers, in tree order: China, each province then its cities, everywhere else."""
    codes = [CHINA]
    for province in regions.children(CHINA):
        codes.append(province)
        codes.extend(regions.children(province))
    codes.append(regions.ELSEWHERE)
    return codes


def applied(raw, picked):
    """The regions field after the picker: typed codes it does not offer, then the picked ones in tree order."""
    offered, picked = _offered(), set(picked)
    kept = [code for code in typed_codes(raw) if code not in set(offered)]
    return " ".join(kept + [code for code in offered if code in picked])


def cities(province, selected):
    """``[(code, label, checked)]`` for a province's cities."""
    return [(code, regions.label(code), code in selected) for code in regions.children(province)]


def tree(raw):
    """What the picker shows for a regions field's value: China and everywhere
    else (checked or not) and each province with its checked state; a province
    with a chosen city is open with its cities, the others load them when opened."""
    selected = set(typed_codes(raw))
    provinces = []
    for code in regions.children(CHINA):
        has_cities = bool(regions.children(code))
        open_ = has_cities and any(city in selected for city in regions.children(code))
        provinces.append({"code": code, "label": regions.label(code), "checked": code in selected,
                          "has_cities": has_cities, "open": open_,
                          "cities": cities(code, selected) if open_ else []})
    return {"china": (CHINA, regions.label(CHINA), CHINA in selected),
            "elsewhere": (regions.ELSEWHERE, regions.label(regions.ELSEWHERE), regions.ELSEWHERE in selected),
            "provinces": provinces}
