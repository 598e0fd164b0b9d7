"""How the training tools end on failure: one line `prog: message` on stderr and exit code 1, never
a traceback (a missing data folder, a corrupt checkpoint, an unwritable output). A usage error is
one line too, `prog: error: message (see --help)`, and exit code 2 (OneLineArgumentParser). LSN_DEBUG=1 prints the traceback too, for
whoever debugs the tool itself.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import sys
import traceback
from pathlib import Path
from typing import Callable, NoReturn, Optional


class OneLineArgumentParser(argparse.ArgumentParser):
    """A usage error is one line and exit code 2 (the whole usage is what --help prints)."""

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message} (see --help)\n")
        sys.exit(2)

def image_count(text: str) -> int:
    """argparse type of a number of images: 0 means all of them (data.open_split's max_items), a
    negative number is refused (it silently meant all too)."""
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0 (0 = all), got {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0 (0 = all), got {n}")
    return n


def output_file_problem(path: str) -> Optional[str]:
    """Why `path` cannot be written now, or None: checked before a long computation, whose result
    was otherwise lost at its end. Opened for appending (nothing written) and removed again if new."""
    p = Path(path)
    if p.is_dir():
        return "it is a folder"
    if not p.parent.is_dir():
        return f"there is no folder {p.parent}"
    existed = p.exists()
    try:
        with open(p, "a"):
            pass
    except OSError as e:
        return f"it cannot be written ({e.strerror})"
    if not existed:
        with contextlib.suppress(OSError):
            p.unlink()
    return None


#: What to run the tools with when a module is missing: Debian's python3 has python3-torch,
#: python3-opencv and python3-onnx (.ci/run installs them); another python3 on PATH may not.
INTERPRETER_HINT = "run it with /usr/bin/python3 after `apt-get install -y python3-torch python3-opencv python3-onnx`"


def require_modules(prog: str, *names: str) -> None:
    """Exit with one line (code 1) naming the modules this Python lacks, before importing them."""
    missing = [n for n in names if importlib.util.find_spec(n) is None]
    if missing:
        print(f"{prog}: {sys.executable} has no {', '.join(missing)}: {INTERPRETER_HINT}", file=sys.stderr)
        raise SystemExit(1)


def run_main(prog: str, main: Callable[[], Optional[int]]) -> None:
    try:
        code = main()
    except (SystemExit, KeyboardInterrupt):
        raise
    except Exception as e:  # noqa: BLE001 - every failure ends as one line here, by design
        if os.environ.get("LSN_DEBUG"):
            traceback.print_exc()
        text = (str(e).strip().splitlines() or [""])[0]
        print(f"{prog}: {type(e).__name__}{': ' + text if text else ''}", file=sys.stderr)
        raise SystemExit(1) from None
    raise SystemExit(code or 0)
