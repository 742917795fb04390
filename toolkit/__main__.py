"""Command line: ``python -m toolkit COMMAND``.

Commands
--------
run SPEC         rerun an experiment spec (see :mod:`toolkit.runner`)
report           execute the notebooks on the sample data and write HTML reports (:mod:`toolkit.report`)
sample-data      regenerate ``data/sample/`` from its fixed seed (:mod:`toolkit.simulate`)
"""

from __future__ import annotations

import importlib
import sys

#: command -> module whose ``main(argv)`` runs it
COMMANDS = {
    "run": "toolkit.runner",
    "report": "toolkit.report",
    "sample-data": "toolkit.simulate",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__.strip())
        return 0
    if argv[0] not in COMMANDS:
        print(f"unknown command {argv[0]!r}\n\n{__doc__.strip()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[argv[0]])
    return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
