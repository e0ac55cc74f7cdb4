r"""Monte Carlo studies and specification grids on local processes or a Dask cluster.

A grid is a list of tasks (any picklable objects: a dict of W name, model and sample size, a
replication number ...) and one function ``fn(task, rng)``. :func:`run_grid` runs ``fn`` on every
task with a progress bar (tqdm) and returns the results in task order.

**Reproducible per task, whatever the executor.** Task ``i`` receives the generator
``numpy.random.default_rng(SeedSequence(seed).spawn(len(tasks))[i])``: its random stream
depends only on ``seed`` and ``i``, not on which worker runs it, in what order, or how many
workers there are. The same ``seed`` gives the same results serially, on local processes and on
Dask.

**Executors.**

* ``executor="processes"`` (default): :class:`concurrent.futures.ProcessPoolExecutor`; ``fn``
  must be importable (defined in a module, not a lambda).
* ``executor="threads"`` or ``"serial"``: threads (numpy releases the GIL in its kernels) or
  the calling process (for debugging).
* Workers run BLAS with one thread (threadpoolctl; ``WORKER_BLAS_THREADS``): the workers fill
  the cores already, and a BLAS pool in each only competes for them.
* ``scheduler=``: a ``dask.distributed.Client`` or a scheduler address
  (``"tcp://host:8786"``) runs the tasks on that cluster (the ``dask`` extra). An address that
  cannot be reached within ``timeout`` seconds raises
  :class:`~spatialflow.exceptions.SchedulerUnreachableError`; it never hangs.

Helpers build the two common grids: :func:`monte_carlo` (``n_reps`` replications of one
design) and :func:`specification_grid` (the Cartesian product of named options, e.g. several
W × models × samples).
"""
from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .exceptions import (GridTaskError, InputError, OptionalDependencyError,
                         SchedulerUnreachableError)

if TYPE_CHECKING:  # an annotation only: Dask is an optional dependency
    from distributed import Client

__all__ = ["run_grid", "monte_carlo", "specification_grid", "task_rngs"]

GridExecutor = Literal["processes", "threads", "serial"]


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _seed_sequences(seed, n_tasks: int) -> list[np.random.SeedSequence]:
    if seed is None:
        raise InputError("a grid needs a seed (an int or a numpy SeedSequence) so that its "
                         "results can be reproduced; None was given.")
    if not isinstance(seed, np.random.SeedSequence) and not (_is_int(seed) and seed >= 0):
        raise InputError(f"seed must be an integer >= 0 or a numpy SeedSequence; {seed!r} "
                         f"({type(seed).__name__}) was given.")
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(int(seed))
    return ss.spawn(int(n_tasks))


def task_rngs(seed: int | np.random.SeedSequence, n_tasks: int) -> list[np.random.Generator]:
    """One independent generator per task, from ``SeedSequence(seed).spawn(n_tasks)``.

    Parameters
    ----------
    seed : int or numpy.random.SeedSequence
        Root seed (an integer >= 0).
    n_tasks : int
        Number of generators.

    Returns
    -------
    list of numpy.random.Generator
        Generator ``i`` is the one :func:`run_grid` gives task ``i``.

    Examples
    --------
    >>> from spatialflow.grid import task_rngs
    >>> a, b = task_rngs(0, 2)
    >>> bool(a.random() != b.random())
    True
    """
    return [np.random.default_rng(child) for child in _seed_sequences(seed, n_tasks)]


def _raise_task_error(err: BaseException, index: int, tasks, seeds, out, done: set):
    """The :class:`GridTaskError` of task ``index``: its seed and the completed results."""
    results = [out[i] if i in done else None for i in range(len(tasks))]
    seed = seeds[index]
    shown = repr(tasks[index])
    shown = shown if len(shown) <= 200 else shown[:200] + "..."
    raise GridTaskError(
        f"grid task {index} ({shown}) raised {type(err).__name__}: {err}. Its "
        f"generator is numpy.random.default_rng(SeedSequence(entropy={seed.entropy}, "
        f"spawn_key={seed.spawn_key})); the grid stopped, {len(done)} of {len(tasks)} "
        "task(s) completed (their results are in this error's .results, None elsewhere).",
        index=index, task=tasks[index], seed=seed, results=results) from err


#: BLAS threads per worker: the workers already fill the cores, and a BLAS pool in each of
#: them only competes for the same cores (the teaching lab's 20 fits: 3.4 s with every
#: thread, 0.7 s with one).
WORKER_BLAS_THREADS = 1


def _pin_blas() -> None:
    """Limit this worker process's BLAS/OpenMP pools (a process-pool initializer)."""
    from threadpoolctl import threadpool_limits
    threadpool_limits(limits=WORKER_BLAS_THREADS)   # kept for the process's lifetime


def _call(fn, task, rng):
    return fn(task, rng)


def _call_pinned(fn, task, rng):
    """A task on a Dask worker, with the worker's BLAS pools limited while it runs."""
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=WORKER_BLAS_THREADS):
        return fn(task, rng)


def _connect(scheduler, timeout: float):
    """A ``distributed.Client`` for ``scheduler`` (a Client is returned as it is)."""
    wrong_type = InputError(
        "scheduler must be a dask.distributed.Client or an address string such as "
        f"'tcp://127.0.0.1:8786'; a {type(scheduler).__name__} was given.")
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the environment
        # A wrong type is the user's first problem to hear about, extra or not.
        if not isinstance(scheduler, str) and type(scheduler).__name__ != "Client":
            raise wrong_type from None
        raise OptionalDependencyError(
            "running a grid on Dask needs the 'dask' extra: "
            "pip install 'spatialflow-econ[dask]'."
        ) from exc
    if isinstance(scheduler, Client):
        return scheduler, False
    if not isinstance(scheduler, str):
        raise wrong_type
    try:
        return Client(scheduler, timeout=timeout, set_as_default=False), True
    except (OSError, TimeoutError) as exc:
        raise SchedulerUnreachableError(
            f"could not reach the Dask scheduler at {scheduler!r} within {timeout:g} s "
            f"({type(exc).__name__}: {exc}). Start it (dask scheduler), check the address, "
            "or run without scheduler= to use local processes.") from exc


def _progress(total: int, show: bool | None, desc: str):
    from ._progress import progress_bar
    return progress_bar(total=total, progress=show, desc=desc, unit="task")


def run_grid(fn: Callable[[Any, np.random.Generator], Any], tasks: Sequence, *,
             seed: int | np.random.SeedSequence,
             executor: GridExecutor = "processes", max_workers: int | None = None,
             scheduler: Client | str | None = None, timeout: float = 10.0, progress: bool | None = None,
             desc: str = "grid") -> list:
    """Run ``fn(task, rng)`` on every task; results in task order.

    Parameters
    ----------
    fn : callable
        ``fn(task, rng) -> result``; ``rng`` is the task's own ``numpy.random.Generator``.
        Must be picklable for processes and Dask (a module-level function).
    tasks : sequence
        The grid's tasks (picklable).
    seed : int or numpy.random.SeedSequence
        Root of the per-task seeds (required: results must be reproducible).
    executor : {"processes", "threads", "serial"}
        Local executor when ``scheduler`` is None.
    max_workers : int, optional
        Local workers (default: the CPU count).
    scheduler : dask.distributed.Client or str, optional
        Run on this Dask cluster instead.
    timeout : float
        Seconds to wait for a scheduler address to answer.
    progress : bool, optional
        Show a tqdm progress bar (``tqdm.auto``: a widget in Jupyter). Default: only where
        someone watches (a terminal, or a Jupyter kernel with ipywidgets), never in logs,
        tests or headless notebook runs.
    desc : str
        Label of the progress bar.

    Returns
    -------
    list
        ``[fn(tasks[0], rng_0), fn(tasks[1], rng_1), ...]``.

    Raises
    ------
    SchedulerUnreachableError
        When ``scheduler`` is an address that does not answer within ``timeout``.
    GridTaskError
        When a task raises: the grid stops (tasks not yet started are cancelled) and the
        error gives the task's index, the task, its ``SeedSequence`` (``.seed``) and the
        results of the completed tasks (``.results``); the task's own error is its cause.

    Examples
    --------
    >>> from spatialflow.grid import run_grid
    >>> def draw(task, rng):
    ...     return task * rng.standard_normal()
    >>> a = run_grid(draw, [1, 2, 3], seed=7, executor="serial", progress=False)
    >>> b = run_grid(draw, [1, 2, 3], seed=7, executor="threads", progress=False)
    >>> a == b
    True
    """
    tasks = list(tasks)
    if executor not in ("processes", "threads", "serial"):
        raise InputError("executor must be one of 'processes', 'threads', 'serial'; "
                         f"{executor!r} was given.")
    if timeout is None or not timeout > 0:
        raise InputError(f"timeout must be a positive number of seconds; {timeout!r} was given.")
    if max_workers is not None and not (_is_int(max_workers) and max_workers >= 1):
        # 0 would silently mean "all CPUs"
        raise InputError(f"max_workers must be an integer >= 1 (or None: the CPU count); "
                         f"{max_workers!r} was given.")
    seeds = _seed_sequences(seed, len(tasks))
    rngs = [np.random.default_rng(s) for s in seeds]
    if not tasks:
        return []
    if scheduler is not None:
        return _run_dask(fn, tasks, rngs, seeds, scheduler, timeout, progress, desc)
    if executor == "serial":
        out = []
        with _progress(len(tasks), progress, desc) as bar:
            for i, (task, rng) in enumerate(zip(tasks, rngs)):
                try:
                    out.append(fn(task, rng))
                except Exception as err:  # noqa: BLE001 - any task error stops the grid
                    _raise_task_error(err, i, tasks, seeds, out, set(range(i)))
                bar.update()
        return out
    workers = int(max_workers or os.cpu_count() or 1)
    limits = None
    if executor == "processes":
        # Each worker process pins its own BLAS pools once, when it starts.
        pool: Executor = ProcessPoolExecutor(max_workers=workers, initializer=_pin_blas)
    else:
        from threadpoolctl import threadpool_limits
        # Threads share the process's BLAS pools: limit them once around the whole pool (a
        # limit set and reset inside each thread would race).
        limits = threadpool_limits(limits=WORKER_BLAS_THREADS)
        pool = ThreadPoolExecutor(max_workers=workers)
    try:
        futures = {pool.submit(_call, fn, task, rng): i
                   for i, (task, rng) in enumerate(zip(tasks, rngs))}
        return _collect(futures, tasks, seeds, progress, desc)
    finally:
        # after a failure (or Ctrl-C) the tasks not yet started are cancelled, not run
        pool.shutdown(wait=True, cancel_futures=True)
        if limits is not None:
            limits.restore_original_limits()


def _collect(futures: dict, tasks, seeds, progress: bool, desc: str) -> list:
    out: list = [None] * len(tasks)
    completed: set = set()
    pending = set(futures)
    with _progress(len(tasks), progress, desc) as bar:
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            failed = []
            for f in done:
                if f.exception() is None:
                    out[futures[f]] = f.result()
                    completed.add(futures[f])
                    bar.update()
                else:
                    failed.append(f)
            if failed:
                for f in pending:
                    f.cancel()
                # the tasks already running finish; their results are kept too
                for f in wait(pending).done:
                    if not f.cancelled() and f.exception() is None:
                        out[futures[f]] = f.result()
                        completed.add(futures[f])
                first = min(failed, key=lambda f: futures[f])
                _raise_task_error(first.exception(), futures[first], tasks, seeds, out, completed)
    return out


def _run_dask(fn, tasks, rngs, seeds, scheduler, timeout, progress, desc) -> list:
    client, owned = _connect(scheduler, timeout)
    from distributed import as_completed  # importable once _connect has succeeded
    try:
        futures = client.map(_call_pinned, [fn] * len(tasks), tasks, rngs, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        out: list = [None] * len(tasks)
        completed: set = set()
        with _progress(len(tasks), progress, desc) as bar:
            for f in as_completed(futures):
                i = index[f.key]
                if f.status == "error":
                    client.cancel([g for g in futures if g.status == "pending"])
                    _raise_task_error(f.exception(), i, tasks, seeds, out, completed)
                out[i] = f.result()
                completed.add(i)
                bar.update()
        return out
    finally:
        if owned:
            client.close()


def monte_carlo(fn: Callable[[Any, np.random.Generator], Mapping], n_reps: int, *,
                seed: int | np.random.SeedSequence, design: Any = None,
                **options: Any) -> pd.DataFrame:
    """``n_reps`` replications of ``fn(design, rng)``, one row per replication.

    For a study of spatialflow's estimators against a known truth, with bias, RMSE and
    coverage computed for you, use :meth:`spatialflow.simulate.Simulator.monte_carlo`, which
    runs on this grid.

    Parameters
    ----------
    fn : callable
        ``fn(design, rng) -> mapping`` (e.g. ``{"rho": ..., "direct_x": ...}``); ``rng`` is
        replication ``r``'s own generator, from ``SeedSequence(seed).spawn(n_reps)[r]``.
        Module-level (picklable) for processes and Dask.
    n_reps : int
        Number of replications (``>= 1``).
    seed : int or numpy.random.SeedSequence
        Root of the replications' seeds (required).
    design : object, optional
        Passed unchanged to every call of ``fn`` (picklable).
    **options
        ``executor``, ``max_workers``, ``scheduler``, ``timeout``, ``progress``, ``desc``:
        as in :func:`run_grid`.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``rep`` (0 .. n_reps - 1), one column per key ``fn`` returned.

    Examples
    --------
    >>> from spatialflow.grid import monte_carlo
    >>> def mean_of_draws(n, rng):
    ...     return {"mean": rng.normal(size=n).mean()}
    >>> mc = monte_carlo(mean_of_draws, 3, seed=0, design=100, executor="serial",
    ...                  progress=False)
    >>> list(mc.columns), len(mc)
    (['mean'], 3)
    """
    if not _is_int(n_reps) or n_reps < 1:
        # int(2.7) would silently run 2 replications
        raise InputError(f"n_reps must be a positive integer; {n_reps!r} was given.")
    rows = run_grid(_Replicate(fn), [(design, r) for r in range(int(n_reps))], seed=seed,
                    desc=options.pop("desc", "monte carlo"), **options)
    frame = pd.DataFrame(list(rows))
    frame.index = pd.RangeIndex(len(frame), name="rep")
    return frame


class _Replicate:
    """Picklable wrapper passing the design (not the replication number) to ``fn``."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, task, rng):
        design, _ = task
        return dict(self.fn(design, rng))


def specification_grid(fn: Callable[[Mapping, np.random.Generator], Mapping], *,
                       seed: int | np.random.SeedSequence, options: Mapping[str, Iterable],
                       **run_options: Any) -> pd.DataFrame:
    """Run ``fn(spec, rng)`` on every combination of ``options`` (a Cartesian product).

    Parameters
    ----------
    fn : callable
        ``fn(spec, rng) -> mapping`` where ``spec`` is a dict with one value per option.
    options : mapping of str to iterable
        E.g. ``{"w": ["queen", "knn6", "inverse_distance"], "model": ["SAR", "SDM"],
        "rep": range(100)}``; the values must be picklable (names rather than objects
        for large W, which ``fn`` can load or build on the worker).
    seed : int or numpy.random.SeedSequence
        Root of the per-combination seeds, as in :func:`run_grid`.
    **run_options
        ``executor``, ``max_workers``, ``scheduler``, ``timeout``, ``progress``, ``desc``:
        as in :func:`run_grid`.

    Returns
    -------
    pandas.DataFrame
        One row per combination: the option columns, then what ``fn`` returned.
    """
    if not options:
        raise InputError("options must name at least one dimension of the grid; an empty "
                         "mapping was given.")
    names = list(options)
    values = [list(v) for v in options.values()]
    empty = [n for n, v in zip(names, values) if not v]
    if empty:
        raise InputError(f"grid option(s) {empty} have no values.")
    specs = [dict(zip(names, combo)) for combo in itertools.product(*values)]
    rows = run_grid(_Spec(fn), specs, seed=seed, desc=run_options.pop("desc", "grid"),
                    **run_options)
    return pd.concat([pd.DataFrame(specs), pd.DataFrame(list(rows))], axis=1)


class _Spec:
    def __init__(self, fn):
        self.fn = fn

    def __call__(self, spec, rng):
        return dict(self.fn(spec, rng))
