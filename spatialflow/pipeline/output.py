"""Safe output: a folder appears complete or not at all, and only our own folders are replaced.

Files are written into a temporary sibling folder (``.<name>.partial-XXXX``, holding a marker
file that names the process writing it), the manifest last; only then is the folder renamed
into place (``os.replace``, atomic on one file system). A failure, Ctrl-C or SIGTERM before that
removes the temporary folder (and any parent folders the run created), so the target is left as
it was; a temporary folder left by a killed run (``kill -9``) is recognised by its marker (its
process is gone) and removed by the next run into the same target.

An existing non-empty target is refused unless overwriting is asked for, and even then only
when it is a folder spatialflow wrote: its ``manifest.json`` was written by us and lists the
sha256 of every file in the folder, and each hash still matches (see :func:`verify_output`). A
web app's ``manifest.json``, a folder with files added or changed since the run, or anything
else is refused with :class:`~spatialflow.exceptions.ForeignFolderError` and left untouched. The
old folder is moved aside, the new one renamed in, and the old one deleted, with SIGINT and
SIGTERM held back during the two renames.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import threading
from pathlib import Path

from ..exceptions import ForeignFolderError, OutputExistsError, format_ids

__all__ = ["AtomicFolder", "check_target", "verify_output", "remove_stale", "sha256_file",
           "hash_tree", "GENERATOR", "MARKER"]

#: The ``generator`` field of every manifest the pipeline writes.
GENERATOR = "spatialflow"
#: The marker file inside a temporary ``.<name>.partial-XXXX`` / ``.<name>.old-XXXX`` folder.
MARKER = ".spatialflow-partial.json"
_MAX_MANIFEST_BYTES = 64 << 20   # a manifest of ours is a few kB; refuse to parse a huge file
_HELD = tuple(s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None))
              if s is not None)


def sha256_file(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def hash_tree(folder: Path, *, skip=("manifest.json", MARKER)) -> dict:
    """sha256 of every file under ``folder`` (relative POSIX paths, sorted)."""
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): sha256_file(p)
            for p in sorted(folder.rglob("*")) if p.is_file()
            and p.relative_to(folder).as_posix() not in skip}


def verify_output(target) -> dict:
    """Check that ``target`` is a folder spatialflow wrote, unchanged; return its manifest.

    Ours means: ``manifest.json`` is a JSON object with ``generator = "spatialflow"`` (or the
    ``spatialflow_pipeline`` format number of earlier versions) and an ``outputs`` table of
    sha256 digests; the folder holds exactly those files (no symbolic link, no other file or
    folder) and every digest, recomputed, matches. A file name alone (``manifest.json``,
    ``report.html``) proves nothing.

    Raises
    ------
    ForeignFolderError
        Naming what is not ours (the manifest, or the files added, missing or changed).
    """
    target = Path(target)
    where = str(target)
    advice = ("it is not (or no longer) a spatialflow output as written, so it is never "
              "replaced, even with --overwrite: move it away or choose another output folder.")
    manifest_path = target / "manifest.json"
    if not manifest_path.is_file() or manifest_path.is_symlink():
        raise ForeignFolderError(f"output folder {where!r} is not empty and has no "
                                 f"manifest.json written by spatialflow; {advice}")
    try:
        if manifest_path.stat().st_size > _MAX_MANIFEST_BYTES:
            raise ValueError("too large")
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ForeignFolderError(f"output folder {where!r}: its manifest.json is not a "
                                 f"spatialflow manifest ({type(err).__name__}); {advice}") from None
    outputs = manifest.get("outputs") if isinstance(manifest, dict) else None
    ours = isinstance(manifest, dict) and (manifest.get("generator") == GENERATOR
                                           or isinstance(manifest.get("spatialflow_pipeline"),
                                                         int))
    if not ours or not isinstance(outputs, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and len(v) == 64 for k, v in outputs.items()):
        raise ForeignFolderError(f"output folder {where!r}: its manifest.json was not written "
                                 f"by spatialflow (no generator = \"spatialflow\" with the "
                                 f"hashes of its files); {advice}")
    present, links = set(), []
    folders = set()
    for p in target.rglob("*"):
        rel = p.relative_to(target).as_posix()
        if p.is_symlink():
            links.append(rel)
        elif p.is_dir():
            folders.add(rel)
        elif rel != "manifest.json":
            present.add(rel if p.is_file() else f"{rel} (not a regular file)")
    parents = {Path(k).parent.as_posix() for k in outputs} | {
        q.as_posix() for k in outputs for q in Path(k).parents}
    extra = sorted(present - set(outputs)) + sorted(links) + sorted(folders - parents)
    missing = sorted(set(outputs) - present)
    if extra or missing:
        raise ForeignFolderError(
            f"output folder {where!r} differs from its manifest: "
            + (f"not written by spatialflow {format_ids(extra)}" if extra else "")
            + ("; " if extra and missing else "")
            + (f"listed but absent {format_ids(missing)}" if missing else "")
            + f"; {advice}")
    changed = sorted(k for k, digest in outputs.items() if sha256_file(target / k) != digest)
    if changed:
        raise ForeignFolderError(f"output folder {where!r}: file(s) {format_ids(changed)} "
                                 f"changed since spatialflow wrote them; {advice}")
    return manifest


def check_target(target, *, overwrite: bool) -> Path:
    """Refuse a target that exists and is not an empty folder (unless ``overwrite``, and
    then only a folder that a previous run wrote and nobody changed: :func:`verify_output`)."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise OutputExistsError(f"output folder {str(target)!r} exists and is a file; choose "
                                "another output folder.")
    if target.is_dir() and any(target.iterdir()):
        if not overwrite:
            raise OutputExistsError(
                f"output folder {str(target)!r} exists and is not empty; choose another folder "
                "or pass --overwrite (output.overwrite = true) to replace it atomically.")
        # --overwrite on ".", "~", a web app or a data folder would delete the user's files.
        verify_output(target)
    return target


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
        remove_stale(self.target)
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
        # Checked again: another process may have written the target meanwhile.
        check_target(self.target, overwrite=self.overwrite)
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
