"""gis311: asset-registry GIS service for city 311 systems."""

__version__ = "0.1.0"
