"""Browser tests: Playwright drives Chromium against a live server; fixtures in conftest.py."""
