"""Steps of features/audit.feature."""
