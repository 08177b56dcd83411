"""The model card (markdown): intended use, data, metrics overall / by subgroup / per class,
calibration, comparison with the Bayes-optimal predictor, limitations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from assistant.modelpack import Manifest

__all__ = ["DEFAULT_INTENDED_USE", "DEFAULT_LIMITATIONS", "render_card"]

DEFAULT_INTENDED_USE: dict[str, tuple[str, ...]] = {
    "diagnosis": (
        "Decision support for village doctors and township clinicians: ranks the conditions the model "
        "covers by calibrated probability from the findings, demographics and measurements of one "
        "consultation. / 辅助诊断：根据一次就诊的症状、体征、人口学信息和测量值，按校准后的概率对模型覆盖的疾病排序。",
        "The doctor makes the diagnosis; suggestions are never a diagnosis on their own, and red-flag "
        "rules and triage are applied outside the model. / 诊断由医生作出；模型建议不能单独作为诊断，危险信号与分诊规则在模型之外执行。",
    ),
    "followup_risk": (
        "Prioritises chronic-disease follow-up: the probability of an adverse follow-up outcome, used "
        "to order task lists. / 慢病随访优先级：估计随访不良结局的概率，用于排列任务清单。",
    ),
}

DEFAULT_LIMITATIONS: tuple[str, ...] = (
    "Only the listed classes are covered; a case outside them still receives probabilities over these "
    "classes, so out-of-scope detection must happen outside the model. / 仅覆盖列出的类别，范围外病例需由模型外的逻辑识别。",
    "Metrics are measured on a held-out split of the training data source; performance on real "
    "patients can differ, especially when the data are synthetic. / 指标来自训练数据源的留出集，在真实患者上可能不同。",
    "Subgroups with few cases have imprecise metrics. / 样本少的亚组指标不精确。",
)


def _f(value: Any, digits: int = 3) -> str:
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _summary_table(rows: Sequence[tuple[str, Mapping[str, Any]]]) -> list[str]:
    cols = ("n", "top1", "top3", "top5", "macro_f1", "ece", "brier", "log_loss")
    out = ["| | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    for name, m in rows:
        out.append(f"| {name} | " + " | ".join(_f(m.get(c, "")) for c in cols) + " |")
    return out


def render_card(
    manifest: Manifest,
    *,
    source: str,
    split_sizes: Mapping[str, int],
    intended_use: Sequence[str] | None = None,
    limitations: Sequence[str] | None = None,
    recall_warning: float = 0.5,
) -> str:
    """Markdown model card from the manifest (which holds metrics, calibration and training info)."""
    m = manifest.metrics.get("test", {})
    labels = {label.id: label for label in manifest.labels}
    lines = [
        f"# Model card: {manifest.name} (version {manifest.version})",
        "",
        f"- kind: `{manifest.kind}` · created: {manifest.created.isoformat()}",
        f"- model.onnx sha256: `{manifest.onnx_sha256}`",
        f"- feature spec: `{manifest.features.version}` ({len(manifest.features)} features, "
        f"sha256 `{manifest.features.sha256}`)",
        f"- classes: {len(manifest.labels)}",
    ]
    if manifest.mlflow:
        lines.append(
            f"- MLflow: run `{manifest.mlflow.get('run_id')}`, registered model "
            f"`{manifest.mlflow.get('model_name')}` version {manifest.mlflow.get('model_version')}"
        )
    lines += ["", "## Intended use", ""]
    for item in intended_use or DEFAULT_INTENDED_USE.get(manifest.kind, ()):
        lines.append(f"- {item}")
    t = manifest.training
    lines += [
        "",
        "## Data",
        "",
        f"- source: {source}",
        "- split sizes: " + ", ".join(f"{k} {v}" for k, v in split_sizes.items()),
        "",
        "## Training",
        "",
        f"- LightGBM, engine `{t.get('engine')}`, best iteration {t.get('best_iteration')} of "
        f"{t.get('rounds_trained')} trained, {_f(t.get('seconds', 0.0), 1)} s",
        f"- parameters: `{t.get('params')}`",
        f"- targets: {t.get('targets', 'hard labels')}"
        + (
            " (the generator knows P(condition | what was written) exactly; training on it instead of "
            "one drawn label per case gives far less noisy targets, and no prior correction is needed)"
            if t.get("soft_labels")
            else ""
        ),
        f"- calibration: {manifest.calibration.method}"
        + (
            f" (T = {manifest.calibration.temperature:.4f})"
            if manifest.calibration.method == "temperature"
            else ""
        )
        + f"; ECE on the selection split before {_f(manifest.calibration.ece_before, 4)}, "
        f"after {_f(manifest.calibration.ece_after, 4)}",
    ]
    bias = (manifest.metrics.get("calibration") or {}).get("class_log_bias")
    if bias:
        pc = manifest.metrics.get("prior_correction") or {}
        shown = ", ".join(f"{cid} {b:+.2f}" for cid, b in sorted(bias.items(), key=lambda kv: kv[1])[:40])
        lines.append(
            f"- prior correction: {t.get('train_only_rows', pc.get('train_only_rows', '?'))} train-only cases "
            f"topped up {len(bias)} rare class(es); the graph adds a per-class log bias "
            "log(E_natural / (E_natural + extra)) to the logits before the temperature, so probabilities "
            f"follow the natural prior (all metrics are on natural-prior splits): {shown}"
            + (" …" if len(bias) > 40 else "")
        )
    parity = manifest.metrics.get("parity")
    if parity:
        lines.append(
            f"- ONNX parity: max |Δp| {parity['max_abs_diff']:.2e} on {parity['rows']} cases, "
            f"{parity['max_abs_diff_missing']:.2e} on {parity['nan_rows']} cases with missing values "
            f"(tolerance {parity['tolerance']:g})"
        )
    lines += ["", "## Metrics (held-out test split)", ""]
    rows: list[tuple[str, Mapping[str, Any]]] = [("model", m)]
    bayes = m.get("bayes")
    if bayes:
        rows.append(("Bayes-optimal", bayes))
    lines += _summary_table(rows)
    if bayes:
        lines += [
            "",
            f"Distance to the Bayes-optimal posterior: mean total variation {bayes['mean_tv_distance']:.4f}, "
            f"top-1 agreement {bayes['top1_agreement']:.3f}, KL(Bayes‖model) {bayes['kl_bayes_model']:.4f}.",
        ]
    for group, values in (m.get("subgroups") or {}).items():
        lines += ["", f"### By {group}", ""]
        lines += _summary_table([(str(v), s) for v, s in values.items()])
    per_class = m.get("per_class") or {}
    if per_class:
        lines += [
            "",
            "### Per class (recall, worst first)",
            "",
            "| id | ICD-10 | name | n | recall | top-3 recall |",
        ]
        lines.append("|---|---|---|---|---|---|")
        ordered = sorted(per_class.items(), key=lambda kv: (kv[1]["recall"] is None, kv[1]["recall"] or 0.0))
        for cid, s in ordered:
            label = labels.get(cid)
            name = f"{label.name_zh} / {label.name_en}" if label else ""
            icd = (label.icd10 or "") if label else ""
            lines.append(
                f"| {cid} | {icd} | {name} | {s['n']} | {_f(s['recall'])} | {_f(s['recall_top3'])} |"
            )
    lines += ["", "## Limitations", ""]
    for item in limitations or DEFAULT_LIMITATIONS:
        lines.append(f"- {item}")
    weak = [cid for cid, s in per_class.items() if s["recall"] is not None and s["recall"] < recall_warning]
    if weak:
        lines.append(
            f"- Top-1 recall below {recall_warning:.0%} on the test split for {len(weak)} class(es): "
            + ", ".join(weak[:30])
            + (" …" if len(weak) > 30 else "")
            + f". / {len(weak)} 个类别测试集召回率低于 {recall_warning:.0%}。"
        )
    small = [
        f"{g}={v}"
        for g, values in (m.get("subgroups") or {}).items()
        for v, s in values.items()
        if "top1" not in s
    ]
    if small:
        lines.append("- Too few test cases for metrics in subgroups: " + ", ".join(small) + ".")
    return "\n".join(lines) + "\n"
