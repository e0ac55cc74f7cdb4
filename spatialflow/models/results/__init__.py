"""Fitted results: SpatialResults, covariance estimators, effects, prediction, inference, summaries."""
