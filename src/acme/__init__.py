"""Acme Importer: load, keep and publish a product catalog."""
