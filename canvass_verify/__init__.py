"""An independent verifier of the service's event log, written from the documented rules alone.

It shares no code with the service: only the standard library and `cryptography`.
"""
