"""The demo city behind ``make demo``: Cambridge, MA, loaded through the real importers, with
synthetic 311 cases filed through the real intake pipeline (``gis311 demo load``)."""
