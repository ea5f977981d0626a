"""Synthetic data at scale (``manage.py seed_scale``): towns with citizens, processes, ideas, projects, funding and
KPIs, bulk-inserted, for measuring the portal at many times the towns' real size. Never for production data."""
