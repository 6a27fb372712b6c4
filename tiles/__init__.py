"""Mapbox Vector Tiles from layer specs and a connection; knows no domain package."""
