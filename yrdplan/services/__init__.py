"""Services: the operations the CLI and the web app both call (one core, thin shells).

A service opens one transaction, uses ingest to read, the store to write and analytics to
compute, and returns plain data. Nothing here formats for a terminal or a page.
"""
