"""`python -m bench NAME [options]`: one entry point for the benchmarks; each still runs as `python -m bench.NAME`.

    python -m bench http [--quick] [--markdown | --json]   gunicorn + wrk against the hello floor (issue 15)
    python -m bench seed --comparison [--db URL]          load the shared comparison data set
    python -m bench pages | search | ...                  the 1M-post figures (their own --help)

The modules are imported only when chosen, so `python -m bench pages` does not pay for the others.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Sequence

# name -> (module, what it measures); each module has main(argv) or main() reading sys.argv.
COMMANDS: dict[str, tuple[str, str]] = {
    "http": ("bench.http_load", "gunicorn + wrk: pages under load beside a hello-world floor"),
    "seed": ("bench.comparison", "load a data set: --comparison, the shared comparison set"),
    "pages": ("bench.pages", "server time of the main pages at about a million posts"),
    "search": ("bench.search", "reindex, commit-to-searchable and query latency"),
    "admin": ("bench.admin", "the admin pages on a large database"),
    "insights": ("bench.insights", "the insights dashboard and export"),
    "ledger": ("bench.ledger", "points verify/recompute and leaderboards"),
    "mail": ("bench.mail", "e-mail composition and the outbox"),
    "attachments": ("bench.attachments", "attachment uploads and serving"),
}


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = ["usage: python -m bench COMMAND [options]   (python -m bench COMMAND --help for each)", ""]
    lines += [f"  {name.ljust(width)}  {about}" for name, (_module, about) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else 2
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"unknown benchmark {name!r}\n\n{usage()}", file=sys.stderr)
        return 2
    if name == "seed" and "--comparison" not in rest and not {"-h", "--help"} & set(rest):
        print("python -m bench seed needs --comparison (the 1M-post databases are built by "
              "`python -m bench pages` and `python -m bench search`)", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    sys.argv = [f"python -m bench {name}", *rest]  # for the modules whose main() reads sys.argv
    takes_argv = bool(inspect.signature(module.main).parameters)  # else main() parses sys.argv itself
    result = module.main(rest) if takes_argv else module.main()
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
