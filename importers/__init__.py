"""Readers for files and feeds that turn them into rows for the registry and boundaries."""
