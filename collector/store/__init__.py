"""Storage operations, one module per domain area, each taking a Session and plain values.

Each function validates its input and raises collector.errors types; none commits: the caller's
``Database.session()`` does.
"""
