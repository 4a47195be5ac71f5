"""store repos layer."""
