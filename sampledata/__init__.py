"""Demo data and synthetic data at scale: the orchestration above every domain (``load_demo``, ``seed_scale``)."""
