"""Monte Carlo and specification grids: reproducible per task seed on every executor,
a Dask LocalCluster, and a clear error (within the timeout) for an unreachable scheduler."""
import socket
import time

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from spatialflow.exceptions import InputError, SchedulerUnreachableError
from spatialflow.grid import monte_carlo, run_grid, specification_grid, task_rngs


def noisy(task, rng):
    """A module-level task (picklable for processes and Dask)."""
    return float(task * 10 + rng.standard_normal())


def sar_rep(design, rng):
    """One replication of a small SAR Monte Carlo: simulate, fit, report rho-hat."""
    import libpysal

    import spatialflow as sf

    side, rho = design
    a = sp.diags([1.0, 1.0, 1.0], [-1, 0, 1], shape=(side, side))
    A = sp.kron(a, a).tocsr()
    A.setdiag(0)
    A.eliminate_zeros()
    W = (sp.diags(1.0 / np.asarray(A.sum(axis=1)).ravel()) @ A).tocsr()
    n = W.shape[0]
    x = rng.normal(size=n)
    y = spla.spsolve((sp.identity(n) - rho * W).tocsc(), 1 + 0.5 * x + rng.normal(size=n))
    ids = pd.RangeIndex(n)
    g = libpysal.graph.Graph.from_sparse(W, ids=ids)
    res = sf.SAR.from_formula("y ~ x", data=pd.DataFrame({"y": y, "x": x}, index=ids),
                              w=g).fit()
    return {"rho": float(res.params["rho"]), "x": float(res.params["x"])}


def spec_fn(spec, rng):
    return {"value": spec["a"] * 100 + spec["b"] + rng.uniform()}


def test_task_streams_depend_only_on_seed_and_position():
    a = [r.standard_normal() for r in task_rngs(5, 4)]
    b = [r.standard_normal() for r in task_rngs(5, 6)][:4]   # more tasks: same first four
    assert a == b
    assert len(set(a)) == 4


@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_same_results_on_every_local_executor(executor):
    serial = run_grid(noisy, range(6), seed=11, executor="serial", progress=False)
    other = run_grid(noisy, range(6), seed=11, executor=executor, max_workers=2,
                     progress=False)
    assert other == serial
    assert run_grid(noisy, range(6), seed=12, executor="serial", progress=False) != serial


def test_monte_carlo_recovers_rho_and_is_reproducible():
    mc = monte_carlo(sar_rep, 6, seed=2026, design=(12, 0.5), executor="serial",
                     progress=False)
    assert list(mc.columns) == ["rho", "x"] and mc.index.name == "rep"
    # 6 replications on n = 144: the mean of rho-hat within 0.1 of the truth (its SE is
    # about 0.08 / sqrt(6) = 0.03) and of x within 0.1 of 0.5
    assert abs(mc["rho"].mean() - 0.5) < 0.1
    assert abs(mc["x"].mean() - 0.5) < 0.1
    again = monte_carlo(sar_rep, 6, seed=2026, design=(12, 0.5), executor="threads",
                        max_workers=2, progress=False)
    pd.testing.assert_frame_equal(mc, again)


def test_specification_grid_is_a_product_in_order():
    out = specification_grid(spec_fn, seed=1, options={"a": [1, 2], "b": [10, 20, 30]},
                             executor="serial", progress=False)
    assert list(out[["a", "b"]].itertuples(index=False, name=None)) == [
        (1, 10), (1, 20), (1, 30), (2, 10), (2, 20), (2, 30)]
    assert np.all(np.floor(out["value"]) == out["a"] * 100 + out["b"])


def test_dask_local_cluster_matches_local_processes():
    distributed = pytest.importorskip("distributed", reason="the Dask scheduler needs the dask extra")
    serial = run_grid(noisy, range(5), seed=3, executor="serial", progress=False)
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            on_client = run_grid(noisy, range(5), seed=3, scheduler=client, progress=False)
            by_address = run_grid(noisy, range(5), seed=3, scheduler=cluster.scheduler_address,
                                  progress=False)
    assert on_client == serial
    assert by_address == serial


def test_unreachable_scheduler_errors_within_timeout():
    pytest.importorskip("distributed", reason="the Dask scheduler needs the dask extra")
    with socket.socket() as s:          # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    t0 = time.perf_counter()
    with pytest.raises(SchedulerUnreachableError, match=r"could not reach the Dask scheduler "
                                                        r"at 'tcp://127.0.0.1:\d+' within 2 s"):
        run_grid(noisy, range(3), seed=0, scheduler=f"tcp://127.0.0.1:{port}", timeout=2,
                 progress=False)
    assert time.perf_counter() - t0 < 15      # never a hang (the timeout plus teardown)


def test_bad_grid_inputs_are_named():
    with pytest.raises(InputError, match="a grid needs a seed"):
        run_grid(noisy, [1], seed=None)
    with pytest.raises(InputError, match="executor must be one of"):
        run_grid(noisy, [1], seed=0, executor="cluster")
    with pytest.raises(InputError, match="scheduler must be a dask.distributed.Client"):
        run_grid(noisy, [1], seed=0, scheduler=8786)
    with pytest.raises(InputError, match=r"grid option\(s\) \['b'\] have no values"):
        specification_grid(spec_fn, seed=0, options={"a": [1], "b": []})
    with pytest.raises(InputError, match="n_reps must be a positive integer"):
        monte_carlo(sar_rep, 0, seed=0)
