"""Atomic output folders: a folder appears complete or not at all (the pipeline and the report).

Files are written into a temporary sibling folder (``.<name>.partial-XXXX``, holding a marker
file that names the process writing it); only then is the folder renamed into place
(``os.replace``, atomic on one file system). A failure, Ctrl-C or SIGTERM before that removes
the temporary folder (and any parent folders it created), so the target is left as it was; a
temporary folder left by a killed process (``kill -9``) is recognised by its marker (its
process is gone) and removed by the next write into the same target. An existing target is
moved aside, the new folder renamed in, and the old one deleted, with SIGINT and SIGTERM held
back during the two renames. Who may be replaced is the caller's rule (``check=``): the
pipeline replaces only a folder it wrote (:func:`spatialflow.pipeline.output.check_target`).
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import threading
from pathlib import Path
from typing import Callable

__all__ = ["AtomicFolder", "remove_stale", "GENERATOR", "MARKER"]

#: Who wrote a marker (and the ``generator`` field of every manifest the pipeline writes).
GENERATOR = "spatialflow"
#: The marker file inside a temporary ``.<name>.partial-XXXX`` / ``.<name>.old-XXXX`` folder.
MARKER = ".spatialflow-partial.json"
_HELD = tuple(s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None))
              if s is not None)


class _HoldSignals:
    """Defer SIGINT and SIGTERM while renaming (main thread only); deliver them afterwards."""

    def __enter__(self):
        self.caught: list[int] = []
        self.previous = {}
        if threading.current_thread() is threading.main_thread():
            for signum in _HELD:
                self.previous[signum] = signal.signal(signum, self._note)
        return self

    def _note(self, signum, _frame):
        self.caught.append(signum)

    def __exit__(self, *exc):
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(self.caught):
            # to the handler in force before: KeyboardInterrupt for SIGINT, the command
            # line's handler (or the default, ending the process) for SIGTERM
            signal.raise_signal(signum)
        return False


def _process_id() -> dict:
    """Who writes a temporary folder: host, pid and the process's start time (pids are
    reused; the pair is not)."""
    import psutil
    return {"generator": GENERATOR, "host": socket.gethostname(), "pid": os.getpid(),
            "started": psutil.Process().create_time()}


def _is_stale(folder: Path) -> bool:
    """True for a temporary folder of ours whose writing process is gone (killed)."""
    import psutil
    marker = folder / MARKER
    try:
        if marker.is_symlink() or not marker.is_file() or marker.stat().st_size > 4096:
            return False
        who = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(who, dict) or who.get("generator") != GENERATOR \
            or who.get("host") != socket.gethostname() or not isinstance(who.get("pid"), int):
        return False  # not ours, or another machine's (on a shared disk): leave it
    try:
        return psutil.Process(who["pid"]).create_time() != who.get("started")
    except psutil.NoSuchProcess:
        return True
    except psutil.Error:
        return False


def _mkdir_marked(parent: Path, prefix: str) -> Path:
    """A new folder ``<prefix><random>`` with our marker, created with the default mode
    (the umask applies; tempfile.mkdtemp would make it 0700)."""
    while True:
        path = parent / f"{prefix}{secrets.token_hex(4)}"
        try:
            path.mkdir()
        except FileExistsError:
            continue
        (path / MARKER).write_text(json.dumps(_process_id()), encoding="utf-8")
        return path


def remove_stale(target) -> list[Path]:
    """Remove the temporary folders a killed run into ``target`` left beside it (only ours:
    named ``.<name>.partial-*`` / ``.<name>.old-*`` and marked by a process that is gone).
    A stale ``.old-*`` folder still holding the previous output while the target is missing
    (a kill between the two renames) is put back in place instead. Returns what was removed."""
    target = Path(target)
    parent = target.absolute().parent
    removed = []
    if not parent.is_dir():
        return removed
    for kind in ("old", "partial"):
        for folder in sorted(parent.glob(f".{target.name}.{kind}-*")):
            if not folder.is_dir() or folder.is_symlink() or not _is_stale(folder):
                continue
            previous = folder / "previous"
            if kind == "old" and previous.is_dir() and not target.exists():
                os.replace(previous, target)
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


class AtomicFolder:
    """Context manager yielding a temporary folder that becomes ``target`` on success.

    ``check(target)``, when given, is called before the temporary folder is made and again
    just before the renames (another process may have written the target meanwhile); it
    refuses a target by raising. Without it an existing ``target`` is replaced.

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> with AtomicFolder(root / "out") as tmp:
    ...     _ = (tmp / "a.txt").write_text("done")
    >>> sorted(p.name for p in root.iterdir())
    ['out']
    """

    def __init__(self, target, *, check: Callable[[Path], object] | None = None):
        self.target = Path(target)
        self.check = check
        self.tmp: Path | None = None
        self._created: list[Path] = []

    def __enter__(self) -> Path:
        remove_stale(self.target)
        if self.check is not None:
            self.check(self.target)
        parent = self.target.absolute().parent
        missing = []
        p = parent
        while not p.exists():
            missing.append(p)
            p = p.parent
        for folder in reversed(missing):
            folder.mkdir()
            self._created.append(folder)
        self.tmp = _mkdir_marked(parent, f".{self.target.name}.partial-")
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            try:
                self._commit()
                return False
            except BaseException:
                self._cleanup()
                raise
        self._cleanup()
        return False

    def _commit(self):
        if self.check is not None:
            self.check(self.target)
        with _HoldSignals():
            old = None
            if self.target.exists():
                old = _mkdir_marked(self.target.absolute().parent, f".{self.target.name}.old-")
                os.replace(self.target, old / "previous")
            try:
                (self.tmp / MARKER).unlink()
                os.replace(self.tmp, self.target)
                self.tmp = None
            except BaseException:
                if old is not None:
                    os.replace(old / "previous", self.target)
                    shutil.rmtree(old, ignore_errors=True)
                raise
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)

    def _cleanup(self):
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        for folder in reversed(self._created):
            try:
                folder.rmdir()  # only if still empty
            except OSError:
                break
