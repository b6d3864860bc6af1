"""Monitoring the accepted model in production: drift, scores and realised performance, from the log."""
