"""The floor of the HTTP benchmark: a bare Flask "hello world", served by the same gunicorn as Agora.

Whatever Agora serves is compared with what this serves in the same run on the same machine, so the
ratio says what the application costs on top of the stack. Started as `gunicorn 'bench.hello:create_app()'`.
"""

from __future__ import annotations

from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def hello() -> str:
        return "Hello, World!"

    return app
