"""Backends that store the rows of the events table."""
