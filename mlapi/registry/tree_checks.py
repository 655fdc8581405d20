"""Checking the arrays of tree-like objects before a loaded estimator may predict
(docs/decisions.md#the-model-registry: the skops allow-list).

scikit-learn's compiled trees walk their arrays with no bounds checks, so each type's check
demands what makes every walk end at a leaf inside the input. Owners add what their tree
cannot know: a decision tree's width is its estimator's, a forest's trees take the forest's
input (they predict without checking it), a boosting model's categorical splits exist in
its bin mapper, a neighbours model's tree holds its training rows.
"""

from collections.abc import Iterator

import numpy as np
from sklearn.ensemble._gb import BaseGradientBoosting
from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE
from sklearn.ensemble._hist_gradient_boosting.gradient_boosting import (
    BaseHistGradientBoosting,
)
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
from sklearn.neighbors import BallTree, KDTree
from sklearn.tree._tree import TREE_LEAF, TREE_UNDEFINED, Tree

BITSET_WORDS = 8  # a categorical bitset: 8 uint32 words, one bit per category 0..255


class DamagedTree(ValueError):
    """A tree's arrays would make predict read out of bounds, loop, or answer NaN."""


def _require(ok, what: str) -> None:
    if not ok:
        raise DamagedTree(what)


def _children_after_parents(index, left, right, count: int, what: str) -> None:
    """Children in range and after their parent: every walk from the root ends."""
    _require(
        np.all((left > index) & (left < count) & (right > index) & (right < count)),
        f"{what}: a child index is out of range or not after its parent (a cycle)",
    )


def _no_nan(what: str, *arrays) -> None:
    _require(not any(np.isnan(a).any() for a in arrays), f"{what}: NaN in its arrays")


def _thresholds(what: str, threshold, missing_go_left) -> None:
    """Finite, except +inf where missing values go right (``nan <= inf`` is false)."""
    _no_nan(what, threshold)
    allowed_inf = (threshold == np.inf) & (missing_go_left == 0)
    _require(
        np.all(np.isfinite(threshold) | allowed_inf),
        f"{what}: an infinite threshold that does not send missing values right",
    )


def check_decision_tree(tree: Tree, n_features: int | None = None) -> None:
    """scikit-learn's ``Tree`` (decision trees, forests, gradient boosting).
    ``n_features``: the width its estimator is given, when known."""
    what = "decision tree"
    count = int(tree.node_count)
    # node_count is the file's word; the node buffer holds capacity nodes
    _require(1 <= count == int(tree.capacity), f"{what}: node count disagrees with its nodes")
    _require(tree.n_features >= 1, f"{what}: no features")
    if n_features is not None:
        _require(
            tree.n_features == n_features,
            f"{what}: built for {tree.n_features} features, its estimator takes {n_features}",
        )
    state = tree.__getstate__()
    nodes, values = state["nodes"], state["values"]
    _require(
        nodes.shape == (count,) and values.shape == (count, tree.n_outputs, tree.max_n_classes),
        f"{what}: array lengths disagree",
    )
    left, right, feature = nodes["left_child"], nodes["right_child"], nodes["feature"]
    leaf = left == TREE_LEAF
    _require(
        np.array_equal(leaf, right == TREE_LEAF) and np.all(feature[leaf] == TREE_UNDEFINED),
        f"{what}: a leaf without the leaf sentinels (children -1, feature -2)",
    )
    inner = ~leaf
    _children_after_parents(np.flatnonzero(inner), left[inner], right[inner], count, what)
    _require(
        np.all((feature[inner] >= 0) & (feature[inner] < tree.n_features)),
        f"{what}: a feature index out of range",
    )
    _thresholds(what, nodes["threshold"][inner], nodes["missing_go_to_left"][inner])
    _no_nan(what, nodes["threshold"], nodes["impurity"], nodes["weighted_n_node_samples"])
    _require(np.all(np.isfinite(values)), f"{what}: a value that is not finite")


def check_predictor(
    predictor: TreePredictor, n_features: int | None = None, is_categorical=None
) -> None:
    """A histogram-gradient-boosting tree. ``n_features``: the width its estimator takes
    and ``is_categorical`` its bin mapper's flags, when known."""
    what = "gradient-boosting tree"
    nodes = predictor.nodes
    _require(
        isinstance(nodes, np.ndarray)
        and nodes.dtype == PREDICTOR_RECORD_DTYPE
        and nodes.ndim == 1
        and len(nodes) >= 1,
        f"{what}: malformed nodes",
    )
    count = len(nodes)
    inner = nodes["is_leaf"] == 0
    index = np.flatnonzero(inner).astype(np.int64)
    left = nodes["left"][inner].astype(np.int64)
    right = nodes["right"][inner].astype(np.int64)
    _children_after_parents(index, left, right, count, what)
    feature = nodes["feature_idx"][inner]
    width = np.iinfo(np.intp).max if n_features is None else n_features
    _require(np.all((feature >= 0) & (feature < width)), f"{what}: a feature index out of range")
    _thresholds(what, nodes["num_threshold"][inner], nodes["missing_go_to_left"][inner])
    _no_nan(what, nodes["num_threshold"], nodes["gain"])
    _require(np.all(np.isfinite(nodes["value"])), f"{what}: a value that is not finite")
    bitsets = (predictor.raw_left_cat_bitsets, predictor.binned_left_cat_bitsets)
    _require(
        all(
            isinstance(b, np.ndarray) and b.ndim == 2 and b.shape[1] == BITSET_WORDS
            for b in bitsets
        )
        and bitsets[0].shape == bitsets[1].shape,
        f"{what}: malformed category bitsets",
    )
    categorical = inner & (nodes["is_categorical"] != 0)
    _require(
        np.all(nodes["bitset_idx"][categorical] < len(bitsets[0])),
        f"{what}: a category bitset index out of range",
    )
    if categorical.any() and n_features is not None:
        flags = np.asarray(is_categorical if is_categorical is not None else [])
        used = nodes["feature_idx"][categorical]
        _require(
            flags.shape == (n_features,) and np.all(flags[used] != 0),
            f"{what}: a categorical split on a feature that is not categorical",
        )


def check_binary_tree(tree: KDTree | BallTree) -> None:
    """A neighbours index: node i's children are 2i+1 and 2i+2, its points
    ``idx_array[idx_start:idx_end]``."""
    what = type(tree).__name__
    (
        data,
        idx_array,
        node_data,
        node_bounds,
        leaf_size,
        n_levels,
        n_nodes,
        *_counters,
        _metric,
        sample_weight,
    ) = tree.__getstate__()
    _require(
        data.ndim == 2 and data.shape[0] >= 1 and data.shape[1] >= 1, f"{what}: no training data"
    )
    n_samples, n_features = data.shape
    _require(
        idx_array.shape == (n_samples,)
        and np.array_equal(np.sort(idx_array), np.arange(n_samples)),
        f"{what}: idx_array is not a permutation of the training rows",
    )
    _require(leaf_size >= 1, f"{what}: leaf_size below 1")
    levels = int(np.log2(max(1.0, (n_samples - 1) / leaf_size)) + 1)
    _require(
        n_levels == levels and n_nodes == 2**levels - 1 and node_data.shape == (n_nodes,),
        f"{what}: node count disagrees with leaf_size and the number of samples",
    )
    bounds_rows = 2 if isinstance(tree, KDTree) else 1
    _require(
        node_bounds.shape == (bounds_rows, n_nodes, n_features),
        f"{what}: node_bounds has the wrong shape",
    )
    start, end = node_data["idx_start"], node_data["idx_end"]
    _require(
        np.all((start >= 0) & (start <= end) & (end <= n_samples))
        and start[0] == 0
        and end[0] == n_samples,
        f"{what}: a node's point range is out of bounds",
    )
    inner = np.flatnonzero(node_data["is_leaf"] == 0)
    _require(np.all(2 * inner + 2 < n_nodes), f"{what}: an inner node without children")
    lo, hi = 2 * inner + 1, 2 * inner + 2
    _require(
        np.array_equal(start[lo], start[inner])
        and np.array_equal(end[hi], end[inner])
        and np.array_equal(end[lo], start[hi]),
        f"{what}: children do not split their parent's points",
    )
    _require(
        all(np.all(np.isfinite(a)) for a in (data, node_bounds, node_data["radius"]))
        and np.all(node_data["radius"] >= 0),
        f"{what}: a bound that is not finite",
    )
    _require(
        sample_weight is None
        or (sample_weight.shape == (n_samples,) and np.all(np.isfinite(sample_weight))),
        f"{what}: sample weights disagree with the data",
    )


def _width(owner) -> int | None:
    width = getattr(owner, "n_features_in_", None)
    return int(width) if isinstance(width, int | np.integer) else None


def _check_owner(owner) -> None:
    """What a tree's estimator knows and the tree does not."""
    width = _width(owner)
    tree = getattr(owner, "tree_", None)
    if isinstance(tree, Tree):
        check_decision_tree(tree, width)
    predictors = getattr(owner, "_predictors", None)
    if predictors is not None:  # histogram gradient boosting
        _require(width is not None, "gradient boosting: number of features unknown")
        flags = getattr(getattr(owner, "_bin_mapper", None), "is_categorical_", None)
        for predictor in _flat(predictors):
            _require(isinstance(predictor, TreePredictor), "gradient boosting: not a tree")
            check_predictor(predictor, width, flags)
    index = getattr(owner, "_tree", None)
    method = getattr(owner, "_fit_method", None)
    if method in ("kd_tree", "ball_tree"):  # neighbours models: query their index
        _require(
            isinstance(index, KDTree if method == "kd_tree" else BallTree),
            "neighbours: no index of the kind its method queries",
        )
    if isinstance(index, KDTree | BallTree):
        rows = index.__getstate__()[0].shape
        _require(
            rows == (getattr(owner, "n_samples_fit_", None), width),
            "neighbours: the index disagrees with the training data",
        )
        targets = getattr(owner, "_y", None)
        _require(
            targets is None or len(targets) == rows[0],
            "neighbours: targets disagree with the training data",
        )
    members = getattr(owner, "estimators_", None)
    if members is not None and width is not None:
        _check_members(owner, members, width)


def _check_members(owner, members, width: int) -> None:
    """Forests and gradient boosting call their trees without checking the input's width,
    so a tree member must take exactly the ensemble's (or its feature subset's) width."""
    subsets = getattr(owner, "estimators_features_", None)
    members = _flat(members)
    _require(
        subsets is None or len(subsets) == len(members),
        "ensemble: feature subsets disagree with its members",
    )
    for position, member in enumerate(members):
        if not isinstance(getattr(member, "tree_", None), Tree):
            continue
        # an isolation forest gives its trees the whole row when they take all of it
        expected = width if subsets is None else len(subsets[position])
        _require(
            _width(member) == expected <= width,
            "ensemble: a tree takes a different number of features than its ensemble",
        )


def _dry_run(owner) -> None:
    """Once every tree is checked: what a boosting model computes from its own arrays
    before its trees run, on one row of zeros."""
    width = _width(owner)
    if isinstance(owner, BaseGradientBoosting):
        # tree k of each stage adds to column k of the initial predictions, unchecked
        members = owner.estimators_
        _require(
            isinstance(members, np.ndarray) and members.ndim == 2 and width is not None,
            "gradient boosting: malformed stages",
        )
        initial = owner._raw_predict_init(np.zeros((1, width), dtype=np.float32))
        _require(
            initial.shape == (1, members.shape[1]),
            "gradient boosting: trees per stage disagree with its outputs",
        )
    if isinstance(owner, BaseHistGradientBoosting):
        owner._bin_mapper.make_known_categories_bitsets()  # raises on foreign categories


def _flat(items) -> list:
    if isinstance(items, np.ndarray):
        return list(items.ravel())
    out, stack = [], [items]
    while stack:
        item = stack.pop()
        if isinstance(item, list | tuple):
            stack.extend(reversed(item))
        else:
            out.append(item)
    return out


def _objects(root) -> Iterator[object]:
    """Every object reachable from ``root`` through attributes, containers and object
    arrays, each once (iteratively: the node cap bounds how many there are)."""
    seen, stack = set(), [root]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        yield obj
        if isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, list | tuple | set | frozenset):
            stack.extend(obj)
        elif isinstance(obj, np.ndarray):
            if obj.dtype == object:
                stack.extend(obj.ravel())
        elif hasattr(obj, "__dict__") and not isinstance(obj, type):
            stack.extend(vars(obj).values())


def check_estimator(estimator) -> None:
    """Raise DamagedTree unless every tree-like object in ``estimator`` passes its check."""
    boosting = []
    for obj in _objects(estimator):
        if isinstance(obj, Tree):
            check_decision_tree(obj)
        elif isinstance(obj, TreePredictor):
            check_predictor(obj)
        elif isinstance(obj, KDTree | BallTree):
            check_binary_tree(obj)
        else:
            _check_owner(obj)
            if isinstance(obj, BaseGradientBoosting | BaseHistGradientBoosting):
                boosting.append(obj)
    for owner in boosting:
        _dry_run(owner)
