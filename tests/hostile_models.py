"""Crafted model files: genuinely trained tree models whose arrays are then damaged.

Each file is what an attacker can write: train a model, edit the arrays skops stores for
its trees (a decision tree's ``nodes``, a boosting predictor's ``nodes``, a neighbours
index's ``idx_array``/``node_data``/``node_bounds``), dump it again. Nothing here runs the
damaged model.
"""

import copy
from collections.abc import Callable
from functools import cache

import numpy as np
import skops.io as sio

DIABETES_ROW = [0.038, 0.050, 0.061, 0.021, -0.044, -0.034, -0.043, -0.002, 0.019, -0.017]
IRIS_ROW = [5.1, 3.5, 1.4, 0.2]

# kind → (a row it predicts, how to train it)
TREE_KINDS = ("decision_tree", "random_forest", "hist_gradient_boosting", "kd_tree", "ball_tree")


@cache
def trained(kind: str):
    from sklearn.datasets import load_diabetes, load_iris
    from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestClassifier
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.tree import DecisionTreeRegressor

    diabetes, iris = load_diabetes(return_X_y=True), load_iris(return_X_y=True)
    if kind == "decision_tree":
        return DecisionTreeRegressor(max_depth=4, random_state=0).fit(*diabetes)
    if kind == "random_forest":
        return RandomForestClassifier(n_estimators=4, max_depth=3, random_state=0).fit(*iris)
    if kind == "hist_gradient_boosting":
        return HistGradientBoostingRegressor(max_iter=5, random_state=0).fit(*diabetes)
    if kind in ("kd_tree", "ball_tree"):  # 442 rows in leaves of 30: 4 levels, 15 nodes
        return KNeighborsRegressor(algorithm=kind, leaf_size=30).fit(*diabetes)
    raise ValueError(kind)


def row_for(kind: str) -> list[float]:
    return IRIS_ROW if kind == "random_forest" else DIABETES_ROW


def genuine(kind: str) -> bytes:
    return sio.dumps(trained(kind))


# -- decision trees (sklearn.tree._tree.Tree) and boosting predictors: named node fields --


def _inner_after_root(nodes, is_inner) -> int:
    """An internal node other than the root (the root's descendants come after it)."""
    return int(np.flatnonzero(is_inner)[1])


SPLIT_EDITS: dict[str, Callable] = {
    # (nodes, fields) → None; fields names feature, left, right, threshold, inner mask
    "feature_out_of_range": lambda n, f: n[f["feature"]].__setitem__(0, 10**9),
    "child_out_of_range": lambda n, f: n[f["left"]].__setitem__(0, len(n) + 1000),
    "self_loop": lambda n, f: (n[f["left"]].__setitem__(0, 0), n[f["right"]].__setitem__(0, 0)),
    "cycle": lambda n, f: n[f["left"]].__setitem__(_inner_after_root(n, f["inner"](n)), 0),
    "nan_threshold": lambda n, f: n[f["threshold"]].__setitem__(0, np.nan),
    # +inf is a genuine threshold ("missing values go right"); -inf never is
    "infinite_threshold": lambda n, f: n[f["threshold"]].__setitem__(0, -np.inf),
}

TREE_FIELDS = {
    "feature": "feature",
    "left": "left_child",
    "right": "right_child",
    "threshold": "threshold",
    "inner": lambda n: n["left_child"] != -1,
}
PREDICTOR_FIELDS = {
    "feature": "feature_idx",
    "left": "left",
    "right": "right",
    "threshold": "num_threshold",
    "inner": lambda n: n["is_leaf"] == 0,
}


def _edit_decision_tree(tree, corruption: str) -> None:
    state = tree.__getstate__()
    nodes = state["nodes"].copy()
    SPLIT_EDITS[corruption](nodes, TREE_FIELDS)
    tree.__setstate__({**state, "nodes": nodes})


def _edit_predictor(predictor, corruption: str) -> None:
    nodes = predictor.nodes.copy()
    SPLIT_EDITS[corruption](nodes, PREDICTOR_FIELDS)
    predictor.nodes = nodes


# -- neighbours indexes (KDTree, BallTree): node i's children are 2i+1, 2i+2 -------------


def _index_edit(position: int, edit: Callable) -> Callable:
    def apply(state: list) -> None:
        state[position] = state[position].copy()
        edit(state[position])

    return apply


INDEX_EDITS: dict[str, Callable] = {
    "point_out_of_range": _index_edit(1, lambda idx: idx.__setitem__(0, 10**9)),
    "point_twice": _index_edit(1, lambda idx: idx.__setitem__(1, idx[0])),
    "range_out_of_bounds": _index_edit(2, lambda nd: nd["idx_end"].__setitem__(-1, 10**9)),
    "leaf_made_inner": _index_edit(2, lambda nd: nd["is_leaf"].__setitem__(-1, 0)),
    "nan_bound": _index_edit(3, lambda nb: nb.__setitem__((0, 0, 0), np.nan)),
}

CORRUPTIONS = {
    "decision_tree": tuple(SPLIT_EDITS),
    "random_forest": tuple(SPLIT_EDITS),
    "hist_gradient_boosting": tuple(SPLIT_EDITS),
    "kd_tree": tuple(INDEX_EDITS),
    "ball_tree": tuple(INDEX_EDITS),
}


def crafted(kind: str, corruption: str) -> bytes:
    """The trained ``kind`` with one of its trees damaged by ``corruption``."""
    model = copy.deepcopy(trained(kind))
    if kind == "decision_tree":
        _edit_decision_tree(model.tree_, corruption)
    elif kind == "random_forest":  # one tree of the forest, not the first
        _edit_decision_tree(model.estimators_[2].tree_, corruption)
    elif kind == "hist_gradient_boosting":
        _edit_predictor(model._predictors[1][0], corruption)
    else:
        state = list(model._tree.__getstate__())
        INDEX_EDITS[corruption](state)
        model._tree.__setstate__(tuple(state))
    return sio.dumps(model)


def old_crash_file(corruption: str) -> bytes:
    """The outside tester's files: a DecisionTreeRegressor whose root reads feature 10**9
    (SIGSEGV at predict) or is its own child on both sides (predict never returns)."""
    return crafted("decision_tree", corruption)


def wider_forest_member() -> bytes:
    """A 4-feature forest one of whose trees was grown on 10 features: the forest checks
    its input's width, then lets the tree read columns 4 to 9 of a 4-column row."""
    from sklearn.datasets import load_diabetes

    model = copy.deepcopy(trained("random_forest"))
    x, y = load_diabetes(return_X_y=True)
    member = model.estimators_[0]
    model.estimators_[0] = type(member)(max_depth=3, random_state=0).fit(x, (y > 140) * 2)
    return sio.dumps(model)


def categorical_split_on_numeric_feature(with_bitsets: bool) -> bytes:
    """A boosting tree whose root claims a categorical split: its category bitset (absent,
    or present) and the model's map of categorical features are read unchecked."""
    model = copy.deepcopy(trained("hist_gradient_boosting"))
    predictor = model._predictors[0][0]
    nodes = predictor.nodes.copy()
    nodes["is_categorical"][0], nodes["bitset_idx"][0] = 1, 0
    predictor.nodes = nodes
    if with_bitsets:
        predictor.raw_left_cat_bitsets = np.zeros((1, 8), dtype=np.uint32)
        predictor.binned_left_cat_bitsets = np.zeros((1, 8), dtype=np.uint32)
    return sio.dumps(model)


def extra_boosting_column() -> bytes:
    """Gradient boosting with two trees per stage where its initial predictions have one
    column: the second tree's answers are written past the end of the array."""
    from sklearn.datasets import load_diabetes
    from sklearn.ensemble import GradientBoostingRegressor

    model = GradientBoostingRegressor(n_estimators=5, random_state=0).fit(
        *load_diabetes(return_X_y=True)
    )
    model.estimators_ = np.hstack([model.estimators_, model.estimators_])
    model.n_trees_per_iteration_ = 2
    return sio.dumps(model)


def missing_values_go_right(kind: str) -> bytes:
    """A genuine tree whose first split is "missing or not": threshold +inf, missing
    values right (``nan <= inf`` is false)."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.tree import DecisionTreeRegressor

    x = np.array([[np.nan]] * 50 + [[1.0]] * 50)
    y = np.array([10.0] * 50 + [0.0] * 50)
    if kind == "decision_tree":
        model = DecisionTreeRegressor(random_state=0).fit(x, y)
        assert model.tree_.threshold[0] == np.inf
        assert not model.tree_.missing_go_to_left[0]
    else:
        model = HistGradientBoostingRegressor(max_iter=3, min_samples_leaf=5).fit(x, y)
        assert model._predictors[0][0].nodes["num_threshold"][0] == np.inf
    return sio.dumps(model)


def padded_linear_model(lists: int) -> bytes:
    """A working linear model that carries ``lists`` empty lists: tiny once deflated,
    one object each for skops to build."""
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit(*load_diabetes(return_X_y=True))
    model.padding_ = [[] for _ in range(lists)]
    return sio.dumps(model, compression=8)  # zipfile.ZIP_DEFLATED


def many_classes(n_classes: int, outputs: int = 1) -> bytes:
    """A nearest-neighbour classifier over one feature with ``n_classes`` classes (per
    output: a multi-output one lists an array of classes for each)."""
    from sklearn.neighbors import KNeighborsClassifier

    labels = np.repeat(np.arange(n_classes), 2)  # two rows a class: not a regression target
    targets = labels if outputs == 1 else np.column_stack([labels] * outputs)
    return sio.dumps(
        KNeighborsClassifier(n_neighbors=1, algorithm="brute").fit(
            labels.reshape(-1, 1).astype(float), targets
        )
    )


def mistyped_neighbours() -> bytes:
    """A kd-tree model whose targets are a number, not an array: nothing to check."""
    model = copy.deepcopy(trained("kd_tree"))
    model._y = 5
    return sio.dumps(model)


def archive_without_schema() -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("weights.npy", b"\x93NUMPY")
    return out.getvalue()
