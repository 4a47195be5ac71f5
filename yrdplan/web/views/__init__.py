"""Page view-models: one module per area; each function returns a language-free ``…Public`` model."""
