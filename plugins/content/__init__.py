"""Content: the platform homepage and each merchant's store homepage as
ordered floors (banners, category navigation, product grids, brand walls,
campaign blocks, rich text) with linked slots, campaign pages, drafts with a
preview, publishing with versions and rollback, start and end times, and a
read-only storefront API with impression and click counts."""
from portal.i18n import N_
from portal.plugins import PluginMeta

PLUGIN = PluginMeta(
    name="content",
    title=N_("Content"),
    version="0.1.0",
    requires=("catalog",),
    # top-seller floors read sales figures through ``content_sales_ranking`` when orders is on
    optional=("orders",),
    merchant_toggle=True,
    description=N_("Homepage floors, campaign pages, preview, publishing and the storefront API."),
)
