"""Canvass requests, geofences, policy, answers, footage custody and door-to-door visits."""
