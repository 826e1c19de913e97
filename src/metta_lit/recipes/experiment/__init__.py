"""Experiment recipes."""
