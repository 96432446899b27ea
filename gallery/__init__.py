"""The public gallery: reviewed before/after comparisons (views, selectors, templates) and the
demo photos that `manage.py loaddemo` publishes."""
