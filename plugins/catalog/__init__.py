"""Catalog: the shared library of categories, brands and attributes kept by the
platform, and each merchant's products (SPU) with their SKUs, review and shelf
status."""
from portal.i18n import N_
from portal.plugins import PluginMeta

PLUGIN = PluginMeta(
    name="catalog",
    title=N_("Catalog"),
    version="1.0.0",
    description=N_("Products and SKUs, categories, brands, attributes, review and shelf status."),
)
