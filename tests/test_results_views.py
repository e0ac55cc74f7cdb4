"""Results-level hooks: the readable effects view and the approximate log-determinant line."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from libpysal.weights import lat2W

import spatialflow as sf


def test_effects_view_shows_the_effects_numbers(columbus):
    df, w = columbus
    res = sf.SDM.from_formula("CRIME ~ INC + HOVAL", data=df, w=w).fit()
    view = res.effects_view(n_draws=200, seed=3)
    frame = res.effects(n_draws=200, seed=3)
    pd.testing.assert_frame_equal(view.frame, frame)
    assert f"{frame.loc['INC', 'direct']:.3f}" in str(view)


def test_summary_says_when_the_log_determinant_is_approximate():
    w = lat2W(50, 50, rook=False)
    w.transform = "r"
    rng = np.random.default_rng(0)
    data = pd.DataFrame(rng.normal(size=(2500, 3)), columns=["y", "x1", "x2"],
                        index=w.id_order)
    approx = sf.SDM.from_formula("y ~ x1 + x2", data=data, w=w).fit(logdet="approx")
    exact = sf.SDM.from_formula("y ~ x1 + x2", data=data, w=w).fit(logdet="lu")
    assert "Log-determinant:   chebyshev (approximate), MC SE" in approx.summary().as_text()
    assert "approximate" not in exact.summary().as_text()
    assert "Log-determinant:   lu (exact)" in exact.summary().as_text()
    assert "Information:       observed" in exact.summary().as_text()
    assert approx.params["rho"] == pytest.approx(exact.params["rho"], abs=1e-3)
