"""Page view-models: one module per area, each building a ``…Public`` Pydantic model."""
