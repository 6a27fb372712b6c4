"""Boundary layers, versions and district assignment."""
