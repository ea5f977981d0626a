"""Tenants: the consortium, its member towns, tenant scoping and the audit of cross-town reads."""
