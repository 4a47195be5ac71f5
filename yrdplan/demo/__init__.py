"""What a new database starts with: the default accounts, the seed plans, and the demo data.

Nothing here is a use case; ``yrdplan init`` (``services/setup.py``) runs these steps once.
"""
