"""Users, roles, agencies, sessions and API tokens."""
