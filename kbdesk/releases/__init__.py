"""Releases per application and the tickets planned into them."""
