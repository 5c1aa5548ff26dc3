"""Full-text search over articles, configuration notes and tickets (see engine.py)."""
