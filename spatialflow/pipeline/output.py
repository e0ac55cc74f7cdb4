"""Safe output: a folder appears complete or not at all, and only our own folders are replaced.

A run writes into :class:`AtomicFolder` (the package's one atomic-folder writer,
:mod:`spatialflow._io`: a temporary sibling renamed into place, nothing left behind by a
failure, Ctrl-C, SIGTERM or ``kill -9``), the manifest last.

An existing non-empty target is refused unless overwriting is asked for, and even then only
when it is a folder spatialflow wrote: its ``manifest.json`` was written by us and lists the
sha256 of every file in the folder, and each hash still matches (see :func:`verify_output`). A
web app's ``manifest.json``, a folder with files added or changed since the run, or anything
else is refused with :class:`~spatialflow.exceptions.ForeignFolderError` and left untouched.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .. import _io
from .._io import GENERATOR, MARKER, remove_stale
from ..exceptions import ForeignFolderError, OutputExistsError, format_ids

__all__ = ["AtomicFolder", "check_target", "verify_output", "remove_stale", "sha256_file",
           "hash_tree", "GENERATOR", "MARKER"]

_MAX_MANIFEST_BYTES = 64 << 20   # a manifest of ours is a few kB; refuse to parse a huge file


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


class AtomicFolder(_io.AtomicFolder):
    """The run's output folder: :class:`spatialflow._io.AtomicFolder` that refuses an existing
    non-empty target unless ``overwrite``, and then replaces only a folder a run wrote and
    nobody changed (:func:`check_target`, before writing and again before the renames).

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> with AtomicFolder(root / "out") as tmp:
    ...     _ = (tmp / "a.txt").write_text("done")
    >>> sorted(p.name for p in root.iterdir())
    ['out']
    """

    def __init__(self, target, *, overwrite: bool = False):
        super().__init__(target, check=lambda t: check_target(t, overwrite=overwrite))
        self.overwrite = overwrite
