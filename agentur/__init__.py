"""The Südwestfalen Agentur's cross-town reads and pages: the /agentur/ dashboard, its figures and charts."""
