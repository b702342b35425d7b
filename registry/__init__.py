"""Owners, their sites and cameras, consent, geocoding and spatial search."""
