"""The `utoday-sentiment` command: the pipeline from a terminal, on a laptop or a server.

`parser` is the grammar, `commands` turns arguments into job requests and prints the results.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import TextIO

from ..errors import UtodayError
from ..settings import Settings, load_dotenv_file, load_settings
from .parser import PROG, build_parser, check_combinations

log = logging.getLogger("utoday_sentiment")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_combinations(parser, args)
    from .commands import COMMANDS

    with _sigterm_as_interrupt():
        try:
            load_dotenv_file()
            settings = load_settings()
            _configure_logging(settings)
            return COMMANDS[args.command](args, settings)
        except UtodayError as exc:
            print(f"{PROG}: error: {exc}", file=sys.stderr)
            log.debug("the error's causes:", exc_info=exc)  # LOG_LEVEL=DEBUG shows the chain
            return exc.exit_code
        except KeyboardInterrupt:
            print(f"{PROG}: interrupted; everything committed before it is kept", file=sys.stderr)
            return 130


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a service manager, `kill`, a container stop) ends a command as Ctrl-C does, so the
    embedded database's exit handler runs and no orphan server is left behind."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        signal.signal(signum, signal.SIG_IGN)  # once: let the clean-up finish
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is when a record is emitted (it may be swapped meanwhile)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


def _configure_logging(settings: Settings) -> None:
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_utoday", False)]:
        root.removeHandler(old)  # main() may run more than once in a process (tests, invoke)
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    handler._utoday = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    # urllib3 logs each retry with its whole exception chain; the final one-line error says enough.
    logging.getLogger("urllib3").setLevel(logging.ERROR)
    log.setLevel(settings.log_level)


__all__ = ["main"]
