"""The demo neighbourhood: `kith demo seed` and `kith serve --demo`."""
