"""The memory-bounded computations behind 10,000-node flow models equal the direct ones.

Blocked sums only reorder additions, so they agree with the single-block (whole-grid) ones
to ``RTOL_BLOCKED = 1e-12`` relative to the sum of the absolute terms (a gradient element
that cancels to 5e-4 from terms of order 1 is pinned to 1e-12 of those terms); the in-place spectrum and the fast paths of the data
preparation are the same arithmetic and are compared exactly or at the same tolerance. The
simulator's Chebyshev solve stops at a relative residual of 1e-13 and matches the spectral
solve to ``RTOL_BLOCKED`` of the solution's largest element.
"""
import numpy as np
import pytest
import scipy.sparse as sp
from libpysal.weights import W as PysalW
from libpysal.weights import lat2W

from spatialflow.exceptions import InputError
from spatialflow.flows import logdet as logdet_module
from spatialflow.flows.logdet import row_blocks, spectrum
from spatialflow.flows.simulate import simulate_flows, solve_filter_iterative

RTOL_BLOCKED = 1e-12


def _lattice(rows=5, cols=4):
    w = lat2W(rows, cols)
    w.transform = "r"
    return w


def _directed(n=9):
    """A row-stochastic W with complex eigenvalues (a weighted directed ring)."""
    return PysalW({i: [(i + 1) % n, (i + 3) % n] for i in range(n)},
                  {i: [0.7, 0.3] for i in range(n)})


def test_row_blocks_cover_the_rows_once_within_the_budget():
    for n_rows, n_cols, block in [(10, 10, 7), (10, 10, 1000), (3, 50, 7), (1, 1, 1)]:
        blocks = list(row_blocks(n_rows, n_cols, block))
        covered = np.concatenate([np.arange(n_rows)[b] for b in blocks])
        np.testing.assert_array_equal(covered, np.arange(n_rows))
        assert all((b.stop - b.start) * n_cols <= max(block, n_cols) for b in blocks)


@pytest.mark.parametrize("make_w", [_lattice, _directed])
@pytest.mark.parametrize("rho", [(0.3, 0.2, -0.1), (-0.4, 0.2, 0.1)])
def test_blocked_logdet_and_derivatives_equal_the_whole_grid(make_w, rho, monkeypatch):
    spec = spectrum(sp.csr_matrix(make_w().sparse))
    z = spec.factors(rho)
    whole = np.sum(np.log(np.abs(z)))
    lam = spec.lam
    a = [np.broadcast_to(lam[None, :], z.shape), np.broadcast_to(lam[:, None], z.shape),
         np.outer(lam, lam)]
    grad = np.array([-np.sum(ak / z).real for ak in a])
    grad_scale = np.array([np.sum(np.abs(ak / z)) for ak in a])
    hess = np.array([[-np.sum(ak * al / z ** 2).real for al in a] for ak in a])
    hess_scale = np.array([[np.sum(np.abs(ak * al / z ** 2)) for al in a] for ak in a])
    for block in (1, 7, 10 ** 9):  # one element (one row per block), a few rows, one block
        monkeypatch.setattr(logdet_module, "BLOCK_ELEMENTS", block)
        value, g, h = spec.logdet_derivatives(rho)
        np.testing.assert_allclose(value, whole, rtol=RTOL_BLOCKED)
        np.testing.assert_allclose(spec.logdet(rho), whole, rtol=RTOL_BLOCKED)
        assert np.all(np.abs(g - grad) <= RTOL_BLOCKED * grad_scale)
        assert np.all(np.abs(h - hess) <= RTOL_BLOCKED * hess_scale)


def test_in_place_symmetrisation_equals_the_whole_matrix_expression():
    a = np.random.default_rng(0).normal(size=(1100, 1100))  # blocks of 512: ragged edges
    expected = 0.5 * (a + a.T)
    np.testing.assert_array_equal(logdet_module._symmetrise(a.copy()), expected)
    np.testing.assert_array_equal(logdet_module._symmetrise(a[:7, :7].copy(), block=3),
                                  0.5 * (a[:7, :7] + a[:7, :7].T))


def test_spectrum_equals_numpy_eigvalsh_of_the_similar_symmetric_matrix():
    W = sp.csr_matrix(_lattice(9, 7).sparse)
    q = 1.0 / W.max(axis=1).toarray().ravel()
    s = np.sqrt(q)
    dense = W.toarray()
    sym = (s[:, None] * dense) / s[None, :]
    expected = np.linalg.eigvalsh(0.5 * (sym + sym.T))
    np.testing.assert_allclose(spectrum(W).lam, expected, rtol=RTOL_BLOCKED, atol=1e-14)


@pytest.mark.parametrize("shape", [(3, 4), (9, 8)])  # dense extremes / ARPACK extremes
@pytest.mark.parametrize("rho", [(0.4, 0.3, -0.1), (-0.3, 0.5, 0.2)])
def test_iterative_solve_equals_the_spectral_solve(shape, rho):
    """Chebyshev iteration to a relative residual of 1e-13 reproduces the spectral solve
    to 1e-12 of the solution's largest element."""
    W = sp.csr_matrix(_lattice(*shape).sparse)
    M = np.random.default_rng(1).normal(size=(W.shape[0],) * 2)
    expected = spectrum(W, vectors=True).solve(M, rho)
    got = solve_filter_iterative(W, M, rho)
    np.testing.assert_allclose(got, expected, rtol=0, atol=RTOL_BLOCKED * np.abs(expected).max())


def test_simulation_by_iteration_equals_the_spectral_simulation():
    w = _lattice(9, 8)
    spectral = simulate_flows(w, seed=4).pairs
    iterative = simulate_flows(w, seed=4, solver="iterative").pairs
    for col in ("y", "mean"):
        scale = np.abs(spectral[col]).max()
        np.testing.assert_allclose(iterative[col], spectral[col], rtol=0,
                                   atol=RTOL_BLOCKED * scale)


def test_iterative_solver_refuses_a_complex_spectrum_and_unknown_solvers():
    with pytest.raises(InputError, match="similar to a symmetric"):
        simulate_flows(_directed(), seed=0, solver="iterative")
    with pytest.raises(InputError, match="'spectral' or 'iterative'"):
        simulate_flows(_lattice(), seed=0, solver="lu")


@pytest.mark.parametrize("subset", [False, True])
def test_plain_pair_columns_give_the_moments_of_the_formulaic_evaluation(subset, monkeypatch):
    from spatialflow.flows import FlowModel
    from spatialflow.flows import model as model_module

    w = _lattice(4, 4)
    sim = simulate_flows(w, seed=6)
    pairs = sim.pairs.iloc[::-1]  # not origin-major: the scatter path of FlowData
    if subset:
        pairs = pairs.drop(index=pairs.index[::5])
    model = FlowModel.from_formula(sim.formula, sim.nodes, pairs, w,
                                   missing="subset" if subset else "raise")
    fast = model.moments(instruments=True)
    monkeypatch.setattr(model_module, "plain_columns", lambda *a, **k: None)
    slow = model.moments(instruments=True)
    for key in ("ZZ", "ZF", "FF", "UU", "UF"):
        np.testing.assert_allclose(getattr(fast, key), getattr(slow, key), rtol=1e-14)


@pytest.mark.parametrize("rho", [(0.3, 0.2, -0.1), (0.9, 0.9, 0.5), (-0.4, 0.2, 0.1)])
def test_blocked_admissibility_of_a_complex_spectrum_equals_the_whole_grid(rho, monkeypatch):
    spec = spectrum(sp.csr_matrix(_directed().sparse))
    expected = bool(np.all(spec.constraints(rho) > 0))
    monkeypatch.setattr(logdet_module, "BLOCK_ELEMENTS", 7)
    assert spec.admissible(rho) is expected
