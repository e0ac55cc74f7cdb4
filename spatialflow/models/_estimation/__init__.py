"""Estimation: ML, SAC, GMM, panel and dynamic panel fits, information matrices, the one results builder."""
