"""The ``gp-assistant`` command line.

Every command reads its input, calls the library and prints JSON or a table. Bad input ends with
exit code 2 and one line per problem naming the field; no traceback ever reaches the user.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from .errors import InputError, Problem

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_BAD_INPUT = 2


def _today() -> _dt.date:
    """The only place the command line reads the clock: the default consultation date."""
    return _dt.date.today()


def _print_json(obj: Any, out: TextIO) -> None:
    json.dump(obj, out, ensure_ascii=False, indent=2)
    out.write("\n")


def _read_text_arg(path: str | None, stdin: TextIO) -> str:
    from .records import decode_input

    if path in (None, "-"):
        buffer = getattr(stdin, "buffer", None)
        return decode_input(buffer.read()) if buffer is not None else stdin.read()

    try:
        with open(path, "rb") as fh:
            return decode_input(fh.read())
    except FileNotFoundError as exc:
        raise InputError([Problem("FILE", f"no such file: {path}")]) from exc
    except OSError as exc:
        raise InputError([Problem("FILE", f"cannot read {path}: {exc.strerror}")]) from exc


# --------------------------------------------------------------------------- vocab
def _cmd_vocab(args: argparse.Namespace, out: TextIO) -> int:
    from .knowledge import load_knowledge

    kb = load_knowledge()
    rows: list[tuple[str, str, str]]
    if args.what == "findings":
        rows = [(f.code, f.name_zh, f.name_en) for f in kb.findings]
    elif args.what == "conditions":
        rows = [(c.icd10, c.name_zh, c.name_en) for c in kb.conditions]
    elif args.what == "drugs":
        rows = [(d.code, d.name_zh, d.name_en) for d in kb.drugs.drugs]
    else:
        rows = [(e.code, e.name_zh, e.name_en) for e in kb.exams]
    if args.format == "json":
        _print_json([{"code": c, "name_zh": zh, "name_en": en} for c, zh, en in rows], out)
    else:
        out.write("code\tname_zh\tname_en\n")
        for c, zh, en in rows:
            out.write(f"{c}\t{zh}\t{en}\n")
    return EXIT_OK


# --------------------------------------------------------------------------- parse
def _cmd_parse(args: argparse.Namespace, out: TextIO) -> int:
    from .text import parse_complaint

    text = " ".join(args.text) if args.text else sys.stdin.read()
    parsed = parse_complaint(text)
    _print_json(parsed.to_dict(), out)
    return EXIT_OK


# --------------------------------------------------------------------------- assess
def _cmd_assess(args: argparse.Namespace, out: TextIO) -> int:
    from .records import read_encounters

    text = _read_text_arg(args.file, sys.stdin)
    day = _dt.date.fromisoformat(args.date) if args.date else _today()
    encounters = read_encounters(text, default_date=day)
    from .assess import assess_many

    results = assess_many(encounters, lang=args.lang)
    _print_json(results[0] if len(results) == 1 and not args.always_list else results, out)
    return EXIT_OK


# --------------------------------------------------------------------------- train / models
def _training_modules() -> Any:
    # The training stack is an optional extra: loaded by name only when a training command runs, so
    # the clinic's runtime-only install never imports it.
    try:
        commands = importlib.import_module("training.commands")
        tdata = importlib.import_module("training.data")
    except ImportError as exc:
        raise InputError([Problem("train", f"needs the training extra (pip install 'gp-assistant[train]'): {exc}")]) from exc
    return commands, tdata


def _cmd_train(args: argparse.Namespace, out: TextIO) -> int:
    commands, tdata = _training_modules()
    from .knowledge import load_knowledge

    kb = load_knowledge()
    if args.data:
        frame, problems = tdata.read_table(args.data)
        for p in problems:
            print(f"gp-assistant train: {args.data}: {p}", file=sys.stderr)
        if frame is None:
            return EXIT_BAD_INPUT
        table = tdata.validate_table(frame, kb)
        report = table.report()
        if report:
            print(report, file=sys.stderr)
        data, _ = tdata.training_set_from_table(table, kb, source=str(args.data))
    elif args.min_per_class < 0:
        print(f"gp-assistant train: --min-per-class must be 0 or more, got {args.min_per_class}", file=sys.stderr)
        return EXIT_BAD_INPUT
    else:
        data = tdata.generate_training_set(kb, args.rows, args.seed, min_per_class=args.min_per_class).training
    return _run_step(
        "train", commands.TrainingError, EXIT_INTERNAL, out,
        lambda: commands.run_train(
            data, created=_today(), name=args.name, engine=args.engine, scheduler=args.scheduler,
            data_dir=args.data_dir, track=not args.no_track,
        ),
    )  # fmt: skip


def _run_step(command: str, error: type[Exception], code: int, out: TextIO, step: Callable[[], Any]) -> int:
    """Run a training or promotion step: its JSON summary on success, one line and ``code`` on ``error``."""
    try:
        summary = step()
    except error as exc:
        print(f"gp-assistant {command}: {exc}", file=sys.stderr)
        return code
    _print_json(summary, out)
    return EXIT_OK


def _cmd_train_risk(args: argparse.Namespace, out: TextIO) -> int:
    commands, _ = _training_modules()
    cohort = importlib.import_module("training.cohort.commands")
    return _run_step(
        "train", commands.TrainingError, EXIT_INTERNAL, out,
        lambda: cohort.train_followup_risk(
            args.patients, args.seed, created=_today(), data_dir=args.data_dir, track=not args.no_track,
            engine=args.engine,
        ),
    )  # fmt: skip


def _expected_spec(name: str) -> Any:
    """The feature spec the running code makes for a pack name (None: not checked here)."""
    if name == "diagnosis":
        from .features import diagnosis_feature_spec
        from .knowledge import load_knowledge

        return diagnosis_feature_spec(load_knowledge())
    if name == "followup_risk":
        from .followup.risk import RISK_FEATURE_SPEC

        return RISK_FEATURE_SPEC
    return None


def _cmd_promote(args: argparse.Namespace, out: TextIO) -> int:
    commands, _ = _training_modules()
    from .assess import models_dir

    return _run_step(
        "models promote", commands.TrainingError, EXIT_BAD_INPUT, out,
        lambda: commands.run_promote(
            args.models_dir or models_dir(), name=args.name, alias=args.alias, version=args.version,
            data_dir=args.data_dir, expected_spec=_expected_spec(args.name),
        ),
    )  # fmt: skip


def _cmd_models_list(args: argparse.Namespace, out: TextIO) -> int:
    from .assess import models_dir
    from .modelpack import ModelPackError, load_pack

    root = Path(args.models_dir) if args.models_dir else models_dir()
    packs = []
    for sub in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        try:
            pack = load_pack(sub)
        except ModelPackError as exc:
            packs.append({"path": str(sub), "error": str(exc)})
            continue
        packs.append({**pack.describe(), "path": str(sub), "labels": len(pack.labels),
                      "metrics": pack.manifest.metrics.get("test", {}) if isinstance(pack.manifest.metrics, dict) else {}})
    _print_json(packs, out)
    return EXIT_OK


# --------------------------------------------------------------------------- follow-up
def _print_problems(command: str, problems: Sequence[object]) -> None:
    for problem in problems:
        print(f"gp-assistant {command}: {problem}", file=sys.stderr)


def _cmd_followup(args: argparse.Namespace, out: TextIO) -> int:
    from .followup import run_indicators, run_schedule

    command = f"followup {args.followup_command}"
    if args.followup_command == "schedule":
        from .assess import models_dir
        from .followup.risk import load_risk_scorer

        reasons: list[str] = []
        scorer = load_risk_scorer(models_dir(), reasons=reasons)
        _print_problems(command, reasons)
        frame, problems = run_schedule(args, scorer=scorer)
    else:
        frame, problems = run_indicators(args)
    _print_problems(command, problems)
    if not getattr(args, "out", None):
        frame.to_csv(out, index=False)
    else:
        print(f"gp-assistant {command}: wrote {len(frame)} rows to {args.out}", file=sys.stderr)
    return EXIT_OK


# --------------------------------------------------------------------------- backup / restore
def _cmd_backup(args: argparse.Namespace, out: TextIO) -> int:
    from .store import BackupError, SchemaError, backup, restore

    try:
        if args.command == "backup":
            path = backup(args.data, args.dest)
            out.write(f"backup written and checked: {path}\n")
        else:
            previous = restore(args.src, args.data)
            out.write(f"restored {args.src} into {args.data}\n")
            if previous is not None:
                out.write(f"the previous database was kept as {previous}\n")
    except (BackupError, SchemaError, FileExistsError, FileNotFoundError) as exc:
        raise InputError([Problem(args.command, str(exc))]) from exc
    return EXIT_OK


# --------------------------------------------------------------------------- app
def _cmd_app(args: argparse.Namespace, out: TextIO) -> int:
    # The app is a separate top-level package (it calls this runtime, never the reverse): loaded by
    # name only when asked for.
    launch = importlib.import_module("app.launch").launch
    return int(launch(args.port, args.data))


def _date_arg(value: str) -> str:
    try:
        _dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO date (YYYY-MM-DD): {value!r}") from exc
    return value


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gp-assistant",
        description="Offline assistant for village clinics (auxiliary diagnosis, quality checks, follow-up).",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    v = sub.add_parser("vocab", help="list what the knowledge base covers (code, zh, en)")
    v.add_argument("what", choices=["findings", "conditions", "drugs", "exams"])
    v.add_argument("--format", choices=["tsv", "json"], default="tsv")
    v.set_defaults(func=_cmd_vocab)

    pa = sub.add_parser("parse", help="show the findings understood from a complaint")
    pa.add_argument("text", nargs="*", help="complaint text (default: read stdin)")
    pa.set_defaults(func=_cmd_parse)

    a = sub.add_parser("assess", help="encounter JSON (file or stdin) -> assessment JSON")
    a.add_argument("file", nargs="?", help="JSON object, array or JSON Lines (default: stdin)")
    a.add_argument("--lang", choices=["zh", "en"], default="zh")
    a.add_argument("--date", type=_date_arg, help="consultation date when the record has none (default: today)")
    a.add_argument("--always-list", action="store_true", help="print a JSON array even for one encounter")
    a.set_defaults(func=_cmd_assess)

    from .followup import add_indicators_arguments, add_schedule_arguments

    fu = sub.add_parser("followup", help="chronic-disease follow-up lists and indicators")
    fsub = fu.add_subparsers(dest="followup_command", required=True, metavar="ACTION")
    add_schedule_arguments(fsub.add_parser("schedule", help="who is due when and why (CONTRACTS §3)"))
    add_indicators_arguments(fsub.add_parser("indicators", help="management and control rates"))
    fu.set_defaults(func=_cmd_followup)

    ap = sub.add_parser("app", help="start the Streamlit clinic app on 127.0.0.1 (embedded store, offline)")
    ap.add_argument("--port", type=_positive_int, default=8501)
    ap.add_argument("--data", default="data", help="the app's data folder (default ./data)")
    ap.set_defaults(func=_cmd_app)

    b = sub.add_parser("backup", help="copy the app's database with SQLite's online backup, then check it")
    b.add_argument("dest", help="the backup file to write (must not exist)")
    b.add_argument("--data", default="data", help="the app's data folder (default ./data)")
    b.set_defaults(func=_cmd_backup)
    r = sub.add_parser("restore", help="replace the app's database with a checked backup (stop the app first)")
    r.add_argument("src", help="a backup file written by 'gp-assistant backup'")
    r.add_argument("--data", default="data", help="the app's data folder (default ./data)")
    r.set_defaults(func=_cmd_backup)

    t = sub.add_parser("train", help="train a model (needs the 'train' extra)")
    tsub = t.add_subparsers(dest="model", required=True, metavar="MODEL")
    td = tsub.add_parser("diagnosis", help="the diagnosis model, from generated cases or your own table")
    td.add_argument("--data", help="your own consultation table (CSV or Parquet; see docs/training-data.md)")
    td.add_argument("--rows", type=_positive_int, default=200_000, help="generated cases when no --data (default 200000)")
    td.add_argument("--seed", type=int, default=2026)
    td.add_argument(
        "--min-per-class", type=int, default=800, metavar="N",
        help="generated data: top up rarer conditions to N training cases (train-only; the natural prior "
        "is kept by the soft labels; 0 = off; default 800)",
    )  # fmt: skip
    td.add_argument("--engine", choices=["local", "dask"], default="local")
    td.add_argument("--scheduler", help="Dask scheduler address (default: a LocalCluster)")
    td.add_argument("--name", default="diagnosis", help="registered model name (default diagnosis)")
    td.add_argument("--data-dir", default="data", help="folder of the local MLflow store (default ./data)")
    td.add_argument("--no-track", action="store_true", help="do not log to MLflow")
    td.set_defaults(func=_cmd_train)

    tr = tsub.add_parser("followup-risk", help="the follow-up risk model, from a generated cohort")
    tr.add_argument("--patients", type=_positive_int, default=20_000, help="generated patients (default 20000)")
    tr.add_argument("--seed", type=int, default=2026)
    tr.add_argument("--engine", choices=["local", "dask"], default="local")
    tr.add_argument("--data-dir", default="data", help="folder of the local MLflow store (default ./data)")
    tr.add_argument("--no-track", action="store_true", help="do not log to MLflow")
    tr.set_defaults(func=_cmd_train_risk)

    m = sub.add_parser("models", help="model packs: promote a trained model, list installed packs")
    msub = m.add_subparsers(dest="action", required=True, metavar="ACTION")
    mp = msub.add_parser("promote", help="write a registered model version into models/ as a pack")
    mp.add_argument("--name", default="diagnosis")
    mp.add_argument("--alias", default="candidate")
    mp.add_argument("--version", help="registered version number (default: the alias)")
    mp.add_argument("--data-dir", default="data")
    mp.add_argument("--models-dir", help="target folder (default: the project's models/)")
    mp.set_defaults(func=_cmd_promote)
    ml = msub.add_parser("list", help="installed model packs, verified")
    ml.add_argument("--models-dir")
    ml.set_defaults(func=_cmd_models_list)
    return p


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from exc
    if n <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {n}")
    return n


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace, TextIO], int] = args.func
    from .knowledge import KnowledgeError
    from .modelpack import ModelPackError

    try:
        return func(args, out)
    except InputError as exc:
        for problem in exc.problems:
            print(f"gp-assistant {args.command}: error: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ModelPackError as exc:
        print(f"gp-assistant {args.command}: model pack refused:\n{exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except KnowledgeError as exc:
        print(f"gp-assistant {args.command}: knowledge base error:\n{exc}", file=sys.stderr)
        return EXIT_INTERNAL
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - last line of defence: no traceback for users
        print(
            f"gp-assistant {args.command}: internal error: {type(exc).__name__}: {exc}\n"
            "Please report this with the input that caused it.",
            file=sys.stderr,
        )
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
