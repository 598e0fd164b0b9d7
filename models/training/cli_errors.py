"""How the training tools end on failure: one line `prog: message` on stderr and exit code 1, never
a traceback (a missing data folder, a corrupt checkpoint, an unwritable output). Usage errors stay
argparse's (exit code 2). LSN_DEBUG=1 prints the traceback too, for whoever debugs the tool itself.
"""

from __future__ import annotations

import os
import sys
import traceback
from typing import Callable, Optional


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
