"""Settings package: base.py (with one module per subject) reads the environment; dev, test and
production only override; integration is production for the integration tests' processes."""
