"""Build the documentation site in one command.

    pip install -e ".[docs]"
    python scripts/build_docs.py              # execute the notebooks, then sphinx-build -W
    python scripts/build_docs.py --no-execute # reuse docs/notebooks/ from a previous run

1. Every notebook in notebooks/ is executed by a Jupyter kernel (nbclient) with the working
   directory at its folder, and written with its outputs to docs/notebooks/ (generated, not in
   git: notebooks/ keeps them stripped); the lab in its solutions version
   (notebooks/lab/solutions/ -> docs/notebooks/lab/).
2. ``sphinx-build -W --keep-going -b html docs docs/_build/html``: any warning fails the build.

Offline: nothing is downloaded (intersphinx is not used). The site is docs/_build/html/index.html.
Math is typeset by the copy of MathJax 3 that the docs extra installs (django-static-mathjax),
copied into the site: the pages read offline. SPATIALFLOW_MATHJAX (a path or URL of another
MathJax 3 build) overrides it.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "notebooks"
TARGET = ROOT / "docs" / "notebooks"


def _notebooks() -> list[tuple[Path, Path]]:
    """(source, executed copy): notebooks/*.ipynb, and the lab in its solutions version."""
    pairs = [(p, TARGET / p.name) for p in sorted(SOURCE.glob("*.ipynb"))]
    pairs += [(p, TARGET / "lab" / p.name)
              for p in sorted((SOURCE / "lab" / "solutions").glob("*.ipynb"))]
    return pairs


def execute_notebooks(timeout: int = 600) -> None:
    import nbformat
    from nbclient import NotebookClient

    TARGET.mkdir(parents=True, exist_ok=True)
    # One BLAS thread: small dense eigenproblems on a shared machine run far faster so.
    env_before = {k: os.environ.get(k) for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                  "MKL_NUM_THREADS", "MPLBACKEND")}
    os.environ.update({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                       "MKL_NUM_THREADS": "1", "MPLBACKEND": "module://matplotlib_inline.backend_inline"})
    try:
        for path, target in _notebooks():
            start = time.perf_counter()
            nb = nbformat.read(path, as_version=4)
            NotebookClient(nb, timeout=timeout, kernel_name="python3",
                           resources={"metadata": {"path": str(path.parent)}}).execute()
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, target)
            print(f"executed {path.name} in {time.perf_counter() - start:.1f} s", flush=True)
    finally:
        for k, v in env_before.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def build_html(out: Path) -> int:
    if out.exists():
        shutil.rmtree(out)
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
           str(ROOT / "docs"), str(out)]
    return subprocess.call(cmd, cwd=ROOT)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-execute", action="store_true",
                        help="use the executed notebooks already in docs/notebooks/")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "_build" / "html")
    args = parser.parse_args(argv)
    if not args.no_execute:
        execute_notebooks()
    missing = sorted(str(target.relative_to(TARGET)) for _, target in _notebooks()
                     if not target.exists())
    if missing:
        print(f"not executed yet: {missing}; run without --no-execute", file=sys.stderr)
        return 2
    start = time.perf_counter()
    code = build_html(args.out)
    print(f"sphinx-build exited {code} in {time.perf_counter() - start:.1f} s; "
          f"open {args.out / 'index.html'}")
    return code


if __name__ == "__main__":
    sys.exit(main())
