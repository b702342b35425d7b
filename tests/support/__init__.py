"""Helpers shared by the test suites: servers, hostile inputs, journeys."""
