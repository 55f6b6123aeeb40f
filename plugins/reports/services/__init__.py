"""The reports' business rules: rollups (kept by events, rebuilt by SQL),
periods and the figures the pages read from the rollups."""
