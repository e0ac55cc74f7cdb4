"""Bad input to spatialflow.flows gets a typed error naming the culprit; nothing of the
user's is modified."""
import numpy as np
import pandas as pd
import pytest
from libpysal.weights import lat2W

from spatialflow.exceptions import (
    CollinearityError,
    DuplicateIdError,
    FlowDataError,
    FlowFormulaError,
    IdMismatchError,
    InputError,
    MissingDataError,
    ModelSpecificationError,
)
from spatialflow.flows import FlowModel, pairs_from_matrices
from spatialflow.flows.simulate import simulate_flows

F = "y ~ O_(x) + D_(x) + I_(x) + P_(dist)"


@pytest.fixture(scope="module")
def case():
    w = lat2W(3, 3)
    w.transform = "r"
    sim = simulate_flows(w, seed=0)
    return sim.nodes, sim.pairs, w


def test_unknown_pair_id_is_named(case):
    nodes, pairs, w = case
    bad = pairs.copy()
    bad.loc[5, "dest"] = 99
    with pytest.raises(IdMismatchError, match=r"not in the node table: \[99\]"):
        FlowModel.from_formula(F, nodes, bad, w)


def test_weights_on_other_nodes_are_refused(case):
    nodes, pairs, _ = case
    w = lat2W(2, 2)
    with pytest.raises(IdMismatchError, match="ids of the data and of the weights differ"):
        FlowModel.from_formula(F, nodes, pairs, w)


def test_duplicate_pair_is_named(case):
    nodes, pairs, w = case
    bad = pd.concat([pairs, pairs.iloc[[3]]], ignore_index=True)
    with pytest.raises(DuplicateIdError, match=r"\(0, 3\)"):
        FlowModel.from_formula(F, nodes, bad, w)


def test_duplicate_node_id(case):
    nodes, pairs, w = case
    with pytest.raises(DuplicateIdError, match="duplicated ids"):
        FlowModel.from_formula(F, pd.concat([nodes, nodes.iloc[[0]]]), pairs, w)


def test_missing_pairs_raise_by_default_and_subset_is_non_cartesian(case):
    nodes, pairs, w = case
    part = pairs.drop(index=[1, 10])
    with pytest.raises(FlowDataError, match=r"lacks 2 of the 81 .*\(0, 1\).*missing='subset'"):
        FlowModel.from_formula(F, nodes, part, w)
    m = FlowModel.from_formula(F, nodes, part, w, missing="subset")
    assert not m.data.is_cartesian and m.data.n_pairs == 79
    assert np.isfinite(m.fit("s2sls").params).all()


def test_missing_intra_pairs_suggest_intra_false(case):
    nodes, pairs, w = case
    off = pairs[pairs["orig"] != pairs["dest"]]
    with pytest.raises(FlowDataError, match="intra=False"):
        FlowModel.from_formula(F, nodes, off, w)
    m = FlowModel.from_formula("y ~ O_(x) + D_(x) + P_(dist)", nodes, off, w, intra=False)
    assert m.data.n_pairs == 72 and "(Intra)" not in m.design().names
    with pytest.raises(FlowFormulaError, match="I_"):
        FlowModel.from_formula(F, nodes, off, w, intra=False)


def test_intra_pairs_present_with_intra_false(case):
    nodes, pairs, w = case
    with pytest.raises(FlowDataError, match="intra=False but the pair table holds 9"):
        FlowModel.from_formula("y ~ O_(x) + P_(dist)", nodes, pairs, w, intra=False)


def test_missing_flow_value_is_named_or_subset(case):
    nodes, pairs, w = case
    bad = pairs.copy()
    bad.loc[7, "y"] = np.nan
    with pytest.raises(MissingDataError, match=r"'y' is missing .*\(0, 7\)"):
        FlowModel.from_formula(F, nodes, bad, w)
    m = FlowModel.from_formula(F, nodes, bad, w, missing="subset")
    assert m.data.n_pairs == 80


def test_log_of_zero_flow_is_named(case):
    nodes, pairs, w = case
    bad = pairs.copy()
    bad["y"] = np.abs(bad["y"])
    bad.loc[4, "y"] = 0.0
    with pytest.raises(MissingDataError, match=r"response .*\(0, 4\)"):
        FlowModel.from_formula("log(y) ~ O_(x) + P_(dist)", nodes, bad, w).fit("ols")


def test_missing_node_value(case):
    nodes, pairs, w = case
    bad = nodes.copy()
    bad.loc[2, "x"] = np.nan
    with pytest.raises(MissingDataError, match=r"node\(s\) \[2\]"):
        FlowModel.from_formula(F, bad, pairs, w).fit("ols")


@pytest.mark.parametrize("formula,match", [
    ("y ~ x + D_(x)", "not inside O_"),
    ("y ~ O_(x) + O_(dist)", "occurs twice"),
    ("~ O_(x)", "one response"),
    ("y ~ O_(nope)", "cannot be evaluated on the node table"),
])
def test_formula_errors(case, formula, match):
    nodes, pairs, w = case
    with pytest.raises(FlowFormulaError, match=match):
        FlowModel.from_formula(formula, nodes, pairs, w).fit("ols")


def test_unknown_variant_and_method(case):
    nodes, pairs, w = case
    with pytest.raises(FlowFormulaError, match="model_10"):
        FlowModel.from_formula(F, nodes, pairs, w, model="model_10")
    m = FlowModel.from_formula(F, nodes, pairs, w)
    with pytest.raises(InputError, match="'gmm'"):
        m.fit("gmm")
    with pytest.raises(InputError, match="draws"):
        m.fit("mcmc", draws=0)
    with pytest.raises(InputError, match="logdet_order"):
        m.fit("ml", logdet_order=1)
    with pytest.raises(ModelSpecificationError, match="model_8"):
        FlowModel.from_formula(F, nodes, pairs, w, model="model_8").fit("s2sls")


def test_collinear_regressors_are_named(case):
    nodes, pairs, w = case
    nodes = nodes.assign(x2=2 * nodes["x"])
    with pytest.raises(CollinearityError, match="O_x"):
        FlowModel.from_formula("y ~ O_(x + x2) + P_(dist)", nodes, pairs, w).fit("ols")


def test_inputs_are_not_modified(case):
    nodes, pairs, w = case
    n0, p0 = nodes.copy(deep=True), pairs.copy(deep=True)
    FlowModel.from_formula(F, nodes, pairs, w).fit("ml")
    pd.testing.assert_frame_equal(nodes, n0)
    pd.testing.assert_frame_equal(pairs, p0)


def test_results_are_labelled_and_read_only(case):
    nodes, pairs, w = case
    res = FlowModel.from_formula(F, nodes, pairs, w).fit("ml")
    assert list(res.params.index[:3]) == ["rho_d", "rho_o", "rho_w"]
    p = res.params
    p.iloc[0] = 99.0
    assert res.params.iloc[0] != 99.0
    text = res.summary().as_text()
    assert "rho_w" in text and "model_9" in text
    assert list(res.conf_int().columns) == ["lower", "upper"]


def test_pairs_from_matrices_round_trip(case):
    nodes, pairs, w = case
    ids = nodes.index
    Y = pd.DataFrame(pairs["y"].to_numpy().reshape(9, 9), index=ids, columns=ids)
    D = pd.DataFrame(pairs["dist"].to_numpy().reshape(9, 9), index=ids, columns=ids)
    long = pairs_from_matrices(y=Y, dist=D)
    a = FlowModel.from_formula(F, nodes, long, w).fit("ols").params
    b = FlowModel.from_formula(F, nodes, pairs, w).fit("ols").params
    pd.testing.assert_series_equal(a, b)
    with pytest.raises(InputError, match="square"):
        pairs_from_matrices(y=Y.iloc[:, :3])


def test_lags_and_constants_follow_the_formula(case):
    nodes, pairs, w = case
    names = FlowModel.from_formula(F, nodes, pairs, w, lags=False).design().names
    assert names == ["(Intercept)", "(Intra)", "D_x", "O_x", "I_x", "P_dist"]
    names = FlowModel.from_formula("y ~ O_(x) + I_(0 + x) - 1", nodes, pairs, w).design().names
    assert names == ["O_x", "O_x.lag1", "I_x"]


def test_flags_and_simulator_options_are_checked(case):
    nodes, pairs, w = case
    with pytest.raises(InputError, match="lags must be True or False"):
        FlowModel.from_formula(F, nodes, pairs, w, lags="no")
    with pytest.raises(InputError, match=r"coords must be .* \(9, 2\)"):
        simulate_flows(w, coords=np.zeros((3, 2)), seed=1)
    with pytest.raises(InputError, match="sigma"):
        simulate_flows(w, sigma=0, seed=1)
