"""LightGBM → ONNX: onnxmltools ``convert_lightgbm`` (no ZipMap), then a lean, exact graph.

The converted tree ensemble is kept node for node but re-assembled as::

    features ─► TreeEnsembleRegressor (raw per-class scores) ─► [binary: (0, margin)]
             ─► [Add(class_log_bias)] ─► Div(temperature) ─► Softmax ─► probabilities

so the graph returns calibrated probabilities and the runtime does nothing extra. The optional
per-class log bias maps a model trained with a different class prior (rare classes topped up)
back to the deployment prior, see :meth:`training.dataset.TrainingSet.log_bias_for`. Two details make
it match LightGBM: split thresholds are set to the largest float32 not above LightGBM's float64
threshold (for float32 inputs ``x <= t32`` then decides exactly like ``x <= t64``), and the unused
``nodes_hitrates`` attribute is dropped and thresholds and leaf weights are stored as packed tensors
(``*_as_tensor``): a 100-class model of ~26k trees is then about 25 MB.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import lightgbm as lgb
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

__all__ = [
    "INPUT_NAME",
    "LOGITS_NAME",
    "OUTPUT_NAME",
    "ConvertedTrees",
    "ExportError",
    "assemble",
    "convert_trees",
    "onnx_logits",
    "to_onnx",
]

INPUT_NAME = "features"
OUTPUT_NAME = "probabilities"
LOGITS_NAME = "logits"
_OPSET = 17
_ML_OPSET = 3
_IR_VERSION = 8  # readable by onnxruntime ≥ 1.14


class ExportError(RuntimeError):
    """The converted graph is not what this exporter expects."""


def _nearest32(value: float) -> float:
    with np.errstate(over="ignore"):  # LightGBM uses 1e300 for "any value": float32 inf
        return float(np.float32(value))


def _floor32(value: float) -> np.float32:
    with np.errstate(over="ignore"):
        t = np.float32(value)
    if float(t) > value:
        t = np.nextafter(t, np.float32(-np.inf))
    return t


def _exact_thresholds(booster: lgb.Booster) -> list[dict[tuple[int, float], set[float]]]:
    """Per tree: (feature, nearest float32 threshold) → {largest float32 ≤ float64 threshold}."""
    tables: list[dict[tuple[int, float], set[float]]] = []

    def walk(node: dict[str, Any], table: dict[tuple[int, float], set[float]]) -> None:
        if "split_feature" not in node:
            return
        if node.get("decision_type") == "<=":
            thr = float(node["threshold"])
            table[(int(node["split_feature"]), _nearest32(thr))].add(float(_floor32(thr)))
        walk(node["left_child"], table)
        walk(node["right_child"], table)

    for tree in booster.dump_model()["tree_info"]:
        table: dict[tuple[int, float], set[float]] = defaultdict(set)
        walk(tree["tree_structure"], table)
        tables.append(table)
    return tables


def _tree_attributes(model: onnx.ModelProto) -> dict[str, Any]:
    nodes = [n for n in model.graph.node if n.op_type == "TreeEnsembleClassifier"]
    if len(nodes) != 1:
        raise ExportError(
            f"expected one TreeEnsembleClassifier, found {[n.op_type for n in model.graph.node]}"
        )
    return {a.name: helper.get_attribute_value(a) for a in nodes[0].attribute}


def _pack_float_lists(node: onnx.NodeProto, names: tuple[str, ...]) -> None:
    """Store float lists as ``<name>_as_tensor`` (packed, 4 bytes per value instead of 5)."""
    attrs = []
    for attr in node.attribute:
        if attr.name in names:
            values = np.asarray(helper.get_attribute_value(attr), dtype=np.float32)
            attr = helper.make_attribute(f"{attr.name}_as_tensor", numpy_helper.from_array(values))
        attrs.append(attr)
    del node.attribute[:]
    node.attribute.extend(attrs)


@dataclass(frozen=True)
class ConvertedTrees:
    """The tree ensemble of one booster as an ONNX ``TreeEnsembleRegressor`` node (raw scores)."""

    node: onnx.NodeProto
    n_features: int
    n_classes: int  # 2 for a binary model (whose trees give one margin)

    @property
    def binary(self) -> bool:
        return self.n_classes == 2


def convert_trees(booster: lgb.Booster, n_features: int) -> ConvertedTrees:
    """onnxmltools ``convert_lightgbm`` (no ZipMap), re-expressed as raw-score regressor trees with
    exact float32 thresholds (the slow part of the export: do it once per booster)."""
    from onnxmltools import convert_lightgbm
    from onnxmltools.convert.common.data_types import FloatTensorType

    converted = convert_lightgbm(
        booster,
        initial_types=[(INPUT_NAME, FloatTensorType([None, n_features]))],
        zipmap=False,
        target_opset=15,
    )
    a = _tree_attributes(converted)
    n_models = booster.num_model_per_iteration()

    modes = [m.decode() if isinstance(m, bytes) else m for m in a["nodes_modes"]]
    values = [float(v) for v in a["nodes_values"]]
    tables = _exact_thresholds(booster)
    for i, mode in enumerate(modes):
        if mode != "BRANCH_LEQ":
            continue
        key = (int(a["nodes_featureids"][i]), _nearest32(values[i]))
        candidates = tables[int(a["nodes_treeids"][i])].get(key)
        if not candidates or len(candidates) != 1:
            raise ExportError(
                f"cannot match split {key} of tree {a['nodes_treeids'][i]} to the LightGBM dump"
            )
        values[i] = next(iter(candidates))

    regressor_attrs: dict[str, Any] = {
        "nodes_treeids": a["nodes_treeids"],
        "nodes_nodeids": a["nodes_nodeids"],
        "nodes_featureids": a["nodes_featureids"],
        "nodes_modes": modes,
        "nodes_values": values,
        "nodes_truenodeids": a["nodes_truenodeids"],
        "nodes_falsenodeids": a["nodes_falsenodeids"],
        "nodes_missing_value_tracks_true": a["nodes_missing_value_tracks_true"],
        "target_treeids": a["class_treeids"],
        "target_nodeids": a["class_nodeids"],
        "target_ids": a["class_ids"],
        "target_weights": a["class_weights"],
        "n_targets": n_models,
        "aggregate_function": "SUM",
        "post_transform": "NONE",
    }
    if a.get("base_values"):
        regressor_attrs["base_values"] = a["base_values"]
    node = helper.make_node(
        "TreeEnsembleRegressor",
        [INPUT_NAME],
        ["raw_scores"],
        domain="ai.onnx.ml",
        name="trees",
        **regressor_attrs,
    )
    _pack_float_lists(node, ("nodes_values", "target_weights"))
    return ConvertedTrees(node=node, n_features=n_features, n_classes=2 if n_models == 1 else n_models)


def assemble(
    trees: ConvertedTrees,
    *,
    temperature: float = 1.0,
    logits_only: bool = False,
    class_log_bias: np.ndarray | None = None,
) -> onnx.ModelProto:
    """The graph around the trees: probabilities (``(logits + class_log_bias) / temperature`` →
    softmax), or with ``logits_only`` the per-class raw logits themselves, without bias (used to
    score the splits quickly)."""
    nodes = [trees.node]
    initializers = []
    logits = "raw_scores"
    if trees.binary:
        nodes += [
            helper.make_node("Sub", ["raw_scores", "raw_scores"], ["zero_column"], name="zero_column"),
            helper.make_node(
                "Concat", ["zero_column", "raw_scores"], ["two_class"], axis=1, name="binary_logits"
            ),
        ]
        logits = "two_class"
    output = LOGITS_NAME if logits_only else OUTPUT_NAME
    if logits_only:
        nodes.append(helper.make_node("Identity", [logits], [output], name="logits_out"))
    else:
        if class_log_bias is not None:
            bias = np.asarray(class_log_bias, dtype=np.float64)
            if bias.shape != (trees.n_classes,) or not np.isfinite(bias).all():
                raise ExportError(f"class_log_bias must be {trees.n_classes} finite numbers")
            initializers.append(numpy_helper.from_array(bias.astype(np.float32), "class_log_bias"))
            nodes.append(
                helper.make_node("Add", [logits, "class_log_bias"], ["prior_logits"], name="prior_correction")
            )
            logits = "prior_logits"
        if temperature != 1.0:
            initializers.append(
                numpy_helper.from_array(np.array(temperature, dtype=np.float32), "temperature")
            )
            nodes.append(
                helper.make_node("Div", [logits, "temperature"], ["scaled_logits"], name="calibration")
            )
            logits = "scaled_logits"
        nodes.append(helper.make_node("Softmax", [logits], [output], axis=1, name="softmax"))
    graph = helper.make_graph(
        nodes,
        "gp_assistant_lightgbm",
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [None, trees.n_features])],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, [None, trees.n_classes])],
        initializer=initializers,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", _OPSET), helper.make_opsetid("ai.onnx.ml", _ML_OPSET)],
        producer_name="gp-assistant training",
        doc_string=f"LightGBM {trees.n_classes}-class model, temperature {temperature:.6g}"
        + ("" if class_log_bias is None else ", per-class prior correction (class_log_bias)"),
    )
    model.ir_version = _IR_VERSION
    onnx.checker.check_model(model)
    return model


def to_onnx(
    booster: lgb.Booster,
    n_features: int,
    *,
    temperature: float = 1.0,
    class_log_bias: np.ndarray | None = None,
) -> onnx.ModelProto:
    """Convert ``booster`` (binary or multiclass) into the graph described in the module docstring."""
    return assemble(
        convert_trees(booster, n_features), temperature=temperature, class_log_bias=class_log_bias
    )


def onnx_logits(trees: ConvertedTrees, X: np.ndarray, *, threads: int = 0, batch: int = 20_000) -> np.ndarray:
    """Per-class logits of ``X`` computed by onnxruntime from the converted trees, float64.

    Several times faster than LightGBM's own ``predict`` for many-class models; the parity check
    guarantees both agree. ``threads=0`` lets onnxruntime use all cores.
    """
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.log_severity_level = 3
    sess = ort.InferenceSession(
        assemble(trees, logits_only=True).SerializeToString(), opts, providers=["CPUExecutionProvider"]
    )
    X = np.ascontiguousarray(X, dtype=np.float32)
    parts = [sess.run([LOGITS_NAME], {INPUT_NAME: X[i : i + batch]})[0] for i in range(0, len(X), batch)]
    if not parts:
        return np.zeros((0, trees.n_classes))
    return np.concatenate(parts).astype(np.float64)
