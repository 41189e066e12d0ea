"""Entities and pure rules. Imports nothing outside the standard library."""
