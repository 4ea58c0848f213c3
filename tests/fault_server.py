"""The app as the fault tests serve it through gunicorn: settings from the environment, no debugger."""

from __future__ import annotations

from flask import Flask

from app import create_app


def make() -> Flask:
    return create_app({"ENV_NAME": "development", "DEBUG": False})
