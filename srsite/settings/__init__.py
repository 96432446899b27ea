"""Settings package: base.py reads the environment; dev/test/production only override."""
