"""Linear algebra of I - rho W: log-determinants, traces, eigenvalues, solves (the SpatialOperator)."""
