"""Prod recipes."""
