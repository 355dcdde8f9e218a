"""Helpers shared across prefect_jupyter: collections, configuration, logging, debugging."""
