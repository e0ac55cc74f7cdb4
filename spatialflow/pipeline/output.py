"""Safe output: a folder appears complete or not at all.

Files are written into a temporary sibling folder (``.<name>.partial-XXXX``), the manifest
last; only then is the folder renamed into place (``os.replace``, atomic on one file system).
A failure or Ctrl-C before that removes the temporary folder (and any parent folders the run
created), so the target is left as it was. An existing non-empty target is refused unless
overwriting is asked for; it is then moved aside, the new folder renamed in, and the old one
deleted, with SIGINT held back during the two renames.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import tempfile
import threading
from pathlib import Path

from ..exceptions import OutputExistsError

__all__ = ["AtomicFolder", "check_target", "sha256_file", "hash_tree"]


def sha256_file(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def hash_tree(folder: Path, *, skip=("manifest.json",)) -> dict:
    """sha256 of every file under ``folder`` (relative POSIX paths, sorted)."""
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): sha256_file(p)
            for p in sorted(folder.rglob("*")) if p.is_file()
            and p.relative_to(folder).as_posix() not in skip}


def check_target(target, *, overwrite: bool) -> Path:
    """Refuse a target that exists and is not an empty folder (unless ``overwrite``, and
    then only a folder that a previous run wrote, i.e. one with a ``manifest.json``)."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise OutputExistsError(f"output folder {str(target)!r} exists and is a file; choose "
                                "another output folder.")
    if target.is_dir() and any(target.iterdir()):
        if not overwrite:
            raise OutputExistsError(
                f"output folder {str(target)!r} exists and is not empty; choose another folder "
                "or pass --overwrite (output.overwrite = true) to replace it atomically.")
        if not (target / "manifest.json").is_file():
            # --overwrite on ".", "~" or a data folder would delete the user's files.
            raise OutputExistsError(
                f"output folder {str(target)!r} is not empty and has no manifest.json, so it "
                "is not a spatialflow output; refusing to replace it even with --overwrite.")
    return target


class _HoldSigint:
    """Defer SIGINT while renaming (main thread only); re-raise it afterwards."""

    def __enter__(self):
        self.caught = False
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGINT, self._note)
        return self

    def _note(self, *_):
        self.caught = True

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
        if self.caught:
            raise KeyboardInterrupt
        return False


class AtomicFolder:
    """Context manager yielding a temporary folder that becomes ``target`` on success.

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> with AtomicFolder(root / "out") as tmp:
    ...     _ = (tmp / "a.txt").write_text("done")
    >>> sorted(p.name for p in root.iterdir())
    ['out']
    """

    def __init__(self, target, *, overwrite: bool = False):
        self.target = Path(target)
        self.overwrite = overwrite
        self.tmp: Path | None = None
        self._created: list[Path] = []

    def __enter__(self) -> Path:
        check_target(self.target, overwrite=self.overwrite)
        parent = self.target.absolute().parent
        missing = []
        p = parent
        while not p.exists():
            missing.append(p)
            p = p.parent
        for folder in reversed(missing):
            folder.mkdir()
            self._created.append(folder)
        self.tmp = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.partial-", dir=parent))
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
        # Checked again: another process may have written the target meanwhile.
        check_target(self.target, overwrite=self.overwrite)
        with _HoldSigint():
            old = None
            if self.target.exists():
                old = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.old-",
                                            dir=self.target.absolute().parent))
                os.replace(self.target, old / "previous")
            try:
                os.replace(self.tmp, self.target)
            except BaseException:
                if old is not None:
                    os.replace(old / "previous", self.target)
                    shutil.rmtree(old, ignore_errors=True)
                raise
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
        self.tmp = None

    def _cleanup(self):
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.tmp = None
        for folder in reversed(self._created):
            try:
                folder.rmdir()  # only if still empty
            except OSError:
                break
