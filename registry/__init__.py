"""Asset types, assets, cases, repeat-report rules and the case lifecycle."""
