"""The content plugin's extension points (prefix ``content_``)."""
from portal.hookspecs import hookspec


@hookspec
def content_sales_ranking(category_ids, merchant_id, since, limit):
    """Called when a product grid floor ranks "top sellers in category X" for
    the storefront or a preview (cached by the content plugin for a minute).

    Args: category_ids, the ids of the category and every category below it;
    merchant_id, the store whose products count (None: every merchant's);
    since, a naive UTC datetime: only sales from then on count; limit, how
    many products to return at most.
    Returns: a list of ``(product_id, units_sold)``, best first, or None when
    the plugin keeps no sales figures.
    """
