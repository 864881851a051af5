"""What the container image runs around the application: its entrypoint and health checks.

Standard library only, so they work before (and whether or not) Django can be set up.
"""
