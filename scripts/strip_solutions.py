"""Make the students' version of a lab notebook: drop every cell tagged ``solution``.

    python scripts/strip_solutions.py notebooks/lab/solutions/*.ipynb --out notebooks/lab

The lab's notebooks are written once, with their solutions (scripts/make_notebook.py writes
them to notebooks/lab/solutions/). Each exercise is a cell tagged ``exercise`` (the task, with
``...`` where the answer goes), then a cell tagged ``solution`` (the answer), then a cell tagged
``checkpoint`` (``assert`` statements a student runs to check the answer). The students'
version is the same notebook without the ``solution`` cells: the checkpoint then fails until
the exercise is done. Nothing else changes (cell ids and order are kept).
"""
from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

SOLUTION_TAG = "solution"


def tags(cell: dict) -> list[str]:
    """The tags of a notebook cell (``metadata.tags``)."""
    return list(cell.get("metadata", {}).get("tags", []))


def strip_solutions(notebook: dict) -> dict:
    """A copy of ``notebook`` (nbformat 4 as a dict) without the cells tagged ``solution``."""
    out = copy.deepcopy(notebook)
    out["cells"] = [c for c in out["cells"] if SOLUTION_TAG not in tags(c)]
    return out


def dumps(notebook: dict) -> str:
    """The notebook's JSON as scripts/make_notebook.py writes it (stable diffs)."""
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path, help="notebooks with solutions")
    parser.add_argument("--out", type=Path, required=True,
                        help="folder for the students' versions (same file names)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in args.notebooks:
        target = args.out / path.name
        if target.resolve() == path.resolve():
            print(f"refusing to overwrite the solutions {path} with the students' version",
                  file=sys.stderr)
            return 2
        nb = json.loads(path.read_text(encoding="utf-8"))
        target.write_text(dumps(strip_solutions(nb)), encoding="utf-8")
        print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
