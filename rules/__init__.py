"""Rule engine, built-in rule packs and readiness indicators (pure: facts in, findings out).

Filled by the rules issue; imports neither SQLAlchemy nor the web stack.
"""
