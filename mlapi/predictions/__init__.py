"""Predictions: answers from models, their cache, and each caller's history."""
