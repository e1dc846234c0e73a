"""apilab: learn API development by doing."""
