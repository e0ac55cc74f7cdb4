"""Design matrices, regimes, panel data and their transformations."""
