"""Validation recipes."""
