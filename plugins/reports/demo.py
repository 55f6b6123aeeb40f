"""Demo: the rollups rebuilt from the demo orders, which the orders plugin
loaded before (``reports`` requires ``orders``, so its demo runs after)."""


def load_demo(echo):
    from .services.rebuild import rebuild
    counts = rebuild()
    echo("Reports: rollups rebuilt (" + ", ".join(f"{table} {rows} rows" for table, rows in counts.items()) + ").")
