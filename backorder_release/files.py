"""Files the commands write for operators: whole or not at all.

A file is written to a temporary sibling and renamed over the target, so a
crash or a full disk never leaves half a CSV or half a plan behind.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TextIO

from wms.errors import WmsError


class ExportFailed(WmsError):
    """A file could not be written where the operator asked."""


def write_atomically(
    path: Path,
    what: str,
    write: Callable[[TextIO], None],
    *,
    protected: Iterable[Path] = (),
) -> None:
    """Call ``write`` with a UTF-8 text handle, then rename the result to ``path``.

    A symlink is followed (its target is replaced); anything else that is not
    a regular file (a device, a FIFO) is refused, and an existing file keeps
    its permissions.  ``what`` names the file in errors ("CSV", "plan");
    ``protected`` files (the SQLite database) are never replaced.
    """
    try:
        path, mode = _target(path, what)
        if any(path == Path(os.path.realpath(p)) for p in protected):
            raise ExportFailed(
                f"cannot write {what} to {path}: it is the database; "
                "choose another file name"
            )
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
    except OSError as exc:
        raise ExportFailed(f"cannot write {what} to {path}: {exc.strerror}") from exc
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            write(handle)
        os.replace(tmp_name, path)
    except BaseException as exc:
        Path(tmp_name).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ExportFailed(
                f"cannot write {what} to {path}: {exc.strerror}"
            ) from exc
        raise


def _target(path: Path, what: str) -> tuple[Path, int]:
    """The file to replace (a symlink's target) and the permissions to give it.

    OSError when the path cannot be used: a name too long, a symlink loop, a
    parent that is not a directory.
    """
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return Path(os.path.realpath(path)), 0o644
    if not stat.S_ISREG(mode):
        raise ExportFailed(f"cannot write {what} to {path}: it is not a regular file")
    return Path(os.path.realpath(path)), stat.S_IMODE(mode)
