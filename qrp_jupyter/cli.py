"""The ``qrp`` command line.

Exit codes (stable; scripts and CI rely on them):

====  ==========================================================================
0     success
1     an unexpected internal error (a bug: please report it with the traceback)
2     bad input: a malformed config or data file, an unknown id, an illegal action
3     a promotion was evaluated and refused (the failing report is recorded)
4     ``verify`` or ``audit`` found problems (tampering, a broken hash, a missing row)
====  ==========================================================================
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

from .errors import QrpError
from .safetext import shown, terminal_safe
from .store.failures import DriverError, environment_fault

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_BAD_INPUT", "EXIT_REFUSED",
           "EXIT_PROBLEMS"]

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_REFUSED, EXIT_PROBLEMS = 0, 1, 2, 3, 4


def _emit(args: argparse.Namespace, data: Any, text: str) -> None:
    if getattr(args, "json", False):
        print(json.dumps(data, indent=2, sort_keys=True, default=str))  # escapes controls
    else:
        # Values from users are escaped where they are formatted (shown); this is the net
        # under every text output: no escape sequence reaches the terminal.
        print(terminal_safe(text))


def _db_path(db: str | None) -> str | None:
    """``--db`` as given, refused when no file could hold the store."""
    if db is None:
        return None
    from .store import checked_store_path
    return checked_store_path(db, lasts="until qrp exits", otherwise="or leave --db out")


def _store(args: argparse.Namespace, *, create: bool = False):
    """The store for a command that records something (migrated; created with ``create``)."""
    from .store import open_store
    return open_store(_db_path(args.db), create=create)


def _reader(args: argparse.Namespace):
    """The store for a command that only reads: opened read-only, no lock, no migration."""
    from .store import open_store
    return open_store(_db_path(args.db), create=False, readonly=True)


def _table(rows: list[dict[str, Any]], cols: list[tuple[str, str, int]]) -> str:
    if not rows:
        return "(none)"
    head = "  ".join(f"{title:<{w}}" for _, title, w in cols)
    lines = [head, "-" * len(head)]
    for r in rows:
        cells = []
        for key, _, w in cols:
            v = r.get(key)
            if isinstance(v, float):
                v = f"{v:.3f}"
            cells.append(f"{str(v if v is not None else '-')[:w]:<{w}}")
        lines.append("  ".join(cells))
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# commands
# ---------------------------------------------------------------------------------------------

def cmd_init(args: argparse.Namespace) -> int:
    s = _store(args, create=True)
    s.ensure_file()
    n = s.one("schema_migrations.count")["n"]
    _emit(args, {"db": str(Path(s.path).resolve()), "migrations": n},
          f"QRP store ready at {Path(s.path).resolve()} ({n} migration(s) applied)")
    return EXIT_OK


def cmd_data_add(args: argparse.Namespace) -> int:
    from .data import load, synthetic
    from .runs import register_dataset
    from .runs.datasets import check_dataset_name
    check_dataset_name(args.name)  # before any data is read
    if args.synthetic:
        ds = synthetic(n_bars=args.bars, seed=args.seed, edge=args.edge, name=args.name)
    else:
        if not args.path:
            raise QrpError("no data file given", where="qrp data add",
                           fix="pass a CSV/JSON path, or --synthetic")
        kw = {"asset": args.asset} if args.asset else {}
        if args.timestamp_unit:
            kw["timestamp_unit"] = args.timestamp_unit
        ds = load(args.path, name=args.name, **kw)
    s = _store(args, create=True)
    ds_id = register_dataset(s, ds, name=args.name)
    summary = ds.summary()
    _emit(args, summary, f"registered dataset_id_v2 {ds_id}\n  name: {args.name or '-'}\n"
          f"  assets: {', '.join(ds.assets)}  interval: {summary.get('interval')}")
    return EXIT_OK


def cmd_data_list(args: argparse.Namespace) -> int:
    from .runs import list_datasets
    rows = list_datasets(_reader(args))
    _emit(args, rows, _table([{**r, "assets": ",".join(r["assets"] or [])} for r in rows],
                             [("dataset_id_v2", "dataset_id_v2", 16), ("names", "names", 20),
                              ("assets", "assets", 16), ("interval", "interval", 8),
                              ("source", "source", 30)]))
    return EXIT_OK


def _run_text(out: Any) -> str:
    s = out.summary
    lines = [f"run_key          {out.run_key}",
             f"run_instance_id  {out.run_instance_id} (instance #{out.seq})",
             f"dataset_id_v2    {out.dataset_id_v2}",
             f"trials           {s['n_trials']} over {s['n_obs']} bars",
             f"best trial       #{s['best_trial']} {json.dumps(s['best_params'])} "
             f"Sharpe(annual) {s['best_sharpe_annual']:.3f}"
             if s.get("best_sharpe_annual") is not None else "best trial       -"]
    if s.get("reality_check_pvalue") is not None:
        lines.append(f"reality check p  {s['reality_check_pvalue']:.4f}")
    if "oos_sharpe_annual" in s:
        oos = s["oos_sharpe_annual"]
        lines.append(f"walk-forward     OOS Sharpe(annual) "
                     f"{'-' if oos is None else f'{oos:.3f}'}; fold causality "
                     f"{'valid' if s['fold_causality_valid'] else 'INVALID'}")
    if "causality_probe_valid" in s:
        lines.append("causality probe  " + ("valid: positions on truncated data match"
                                            if s["causality_probe_valid"] else
                                            "INVALID: some trials' positions read later bars"))
    lines.append("artifacts:")
    lines += [f"  {k:<18} {v}" for k, v in sorted(out.artifacts.items())]
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    from .runs import execute_run
    from .textfile import read_text_file
    path = Path(args.config)
    text = read_text_file(path, what="config file", where="qrp run CONFIG")  # before any store
    out = execute_run(_store(args, create=True), text, source=str(path), base_dir=path.parent,
                      memory_budget=args.memory_budget)
    _emit(args, out.to_dict(), _run_text(out))
    return EXIT_OK


def cmd_runs(args: argparse.Namespace) -> int:
    from .runs import list_runs
    rows = list_runs(_reader(args))
    _emit(args, rows, _table(rows, [("run_key", "run_key", 16), ("name", "name", 18),
                                    ("family", "family", 14), ("instances", "inst", 4),
                                    ("replays", "repl", 4), ("dataset_id_v2", "dataset", 12)]))
    return EXIT_OK


def cmd_candidates(args: argparse.Namespace) -> int:
    from .governance import create_candidate, list_candidates
    s = _store(args) if args.action == "add" else _reader(args)
    if args.action == "add":
        if not args.run:
            raise QrpError("`qrp candidates add` needs a run", where="RUN",
                           fix="pass a run_key or instance id (prefix) from `qrp runs`")
        c = create_candidate(s, args.run, args.trial)
        _emit(args, c, f"{'created' if c['created'] else 'exists'}: candidate "
              f"{c['candidate_id']} ({c['status']}) trial #{c['trial_index']}")
        return EXIT_OK
    rows = list_candidates(s)
    _emit(args, rows, _table(rows, [("candidate_id", "candidate_id", 16),
                                    ("status", "status", 11), ("family", "family", 14),
                                    ("trial_index", "trial", 5), ("params_json", "params", 28),
                                    ("sharpe_annual", "SR(ann)", 8)]))
    return EXIT_OK


def _report_text(res: Any) -> str:
    r = res.report
    lines = [f"{'PROMOTED' if res.passed else 'REFUSED'}: candidate {res.candidate_id[:12]} "
             f"-> {res.level}",
             f"eligibility_report_id {res.eligibility_report_id}",
             f"policy {shown(r['policy']['name'])} v{r['policy']['version']} "
             f"({r['policy']['hash'][:12]})"]
    for rule in r["rules"]:
        v = rule["value"]
        v = f"{v:.4g}" if isinstance(v, float) else v
        lines.append(f"  [{rule['verdict']:>7}] {rule['rule']:<16} {rule['metric']} = {v} "
                     f"(needs {rule['op']} {rule['threshold']}; {rule['severity']}"
                     f"{', ' + rule['scope'] + '-level' if rule.get('scope') else ''})")
    for b in r["blockers"]:
        lines.append(f"  blocker: {b}")
    for w in r["warnings"]:
        lines.append(f"  warning: {w}")
    return "\n".join(lines)


def cmd_promote(args: argparse.Namespace) -> int:
    from .governance import promote
    res = promote(_store(args), args.candidate, args.to)
    _emit(args, res.to_dict(), _report_text(res))
    return EXIT_OK if res.passed else EXIT_REFUSED


def _end_cmd(func: Callable[..., dict]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        out = func(_store(args), args.candidate, args.reason)
        _emit(args, out, f"candidate {out['candidate_id'][:12]} is now {out['status']}")
        return EXIT_OK
    return run


def cmd_audit(args: argparse.Namespace) -> int:
    from .audit import AuditStopped, render_trace, trace
    try:
        t = trace(_reader(args), args.candidate)
    except AuditStopped as stopped:  # damage: report what was checked and where it is
        _emit(args, stopped.to_dict(), stopped.text())
        return EXIT_PROBLEMS
    _emit(args, t, render_trace(t))
    return EXIT_OK if t["ok"] else EXIT_PROBLEMS


def _digests(args: argparse.Namespace) -> list[str]:
    """Every ``--digest HEX`` and every line of every ``--digests FILE`` (blank lines and
    ``#`` comments skipped), each checked to be a 64-hex digest."""
    from .identity import is_hex64
    found: list[tuple[str, str]] = [(d, "--digest") for d in args.digest or []]
    for path in args.digests or []:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise QrpError(f"cannot read the digests file {path!r}: {exc}",
                           where="--digests", fix="pass a text file with one digest per line")
        found += [(ln.strip(), f"{path}:{i}") for i, ln in enumerate(lines, 1)
                  if ln.strip() and not ln.lstrip().startswith("#")]
    for d, where in found:
        if not is_hex64(d.lower()):
            raise QrpError(f"{d[:80]!r} is not a ledger digest", where=where,
                           fix="a digest is the 64 hex characters `qrp digest` prints last")
    return [d.lower() for d, _ in found]


def cmd_verify(args: argparse.Namespace) -> int:
    from .audit import verify
    from .views import verify_notebook  # ids, provenance, and every output re-rendered
    digests = _digests(args)
    if args.notebook:
        rep = verify_notebook(_reader(args), args.notebook)
    else:
        store = _store(args) if args.replay else _reader(args)
        rep = verify(store, digests=digests)
        if args.replay:
            from .governance import verify_replays
            verify_replays(store, rep)
    _emit(args, rep.to_dict(), rep.text())
    return EXIT_OK if rep.ok else EXIT_PROBLEMS


def cmd_policy_add(args: argparse.Namespace) -> int:
    import tomllib

    from .governance import Policy, add_policy, current_actor
    from .textfile import read_text_file
    path = Path(args.file)
    text = read_text_file(path, what="policy file", where="qrp policy add FILE")
    try:
        doc = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (ValueError, RecursionError) as exc:  # TOMLDecodeError and JSONDecodeError too
        why = "it nests too deeply" if isinstance(exc, RecursionError) else str(exc)
        raise QrpError(f"cannot read the policy file {args.file!r}: {why}", where=args.file,
                       fix="pass a JSON or TOML file with name, version and levels") from None
    policy = Policy.from_payload(doc, where=args.file, fill_scopes=True)
    out = add_policy(_store(args), policy, actor=current_actor(), reason=args.reason)
    _emit(args, out, (f"registered policy {policy.name} v{policy.version} "
                      if out["new"] else f"policy {policy.name} v{policy.version} was already "
                      "registered ") + out["policy_hash"])
    return EXIT_OK


def cmd_digest(args: argparse.Namespace) -> int:
    from .audit import digest_text, ledger_digest
    d = ledger_digest(_reader(args))
    _emit(args, d, digest_text(d))
    return EXIT_OK


def cmd_lineage(args: argparse.Namespace) -> int:
    from .lineage.page import page_html, write_page
    from .views import lineage_bundle, lineage_text
    b = lineage_bundle(_reader(args), args.ref)
    payload = b["application/vnd.qrp.lineage+json"]
    text = lineage_text(payload)
    if args.html is not None:
        title = f"QRP lineage of {payload['root']['kind']} {payload['root']['id'][:12]}"
        out = write_page(args.html, page_html(title, b["text/html"]))  # temp file + rename
        text += f"\nwrote {out}"
    _emit(args, payload, text)
    return EXIT_OK


def cmd_replay(args: argparse.Namespace) -> int:
    from .runs import replay_run
    out = replay_run(_store(args), args.run)
    att = out.extra["attestation"]
    text = [f"replay of {att['original_instance'][:12]} (run {att['run_key'][:12]}): "
            f"{'IDENTICAL' if att['match'] else 'DIFFERENT'}",
            f"replay instance {out.run_instance_id}"]
    text += [f"  {k:<18} {'same' if c['match'] else 'DIFFERS'} {str(c['replay'])[:16]}"
             for k, c in att["compared"].items()]
    _emit(args, out.to_dict(), "\n".join(text))
    return EXIT_OK if att["match"] else EXIT_PROBLEMS


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo
    return run_demo(_db_path(args.db), overwrite=args.overwrite, as_json=args.json)


# ---------------------------------------------------------------------------------------------
# parser
# ---------------------------------------------------------------------------------------------

def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=None,
                        help="store path (default: $QRP_DB or ./qrp.sqlite)")
    data_out = argparse.ArgumentParser(add_help=False)
    data_out.add_argument("--json", action="store_true", help="print JSON instead of text")

    p = argparse.ArgumentParser(prog="qrp", description="QRP: governed quant research.",
                                epilog="exit codes: 0 ok, 1 internal error, 2 bad input, "
                                       "3 promotion refused, 4 verify/audit problems")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sp = sub.add_parser("init", parents=[common, data_out], help="create or migrate a store")
    sp.set_defaults(func=cmd_init)

    data = sub.add_parser("data", help="register and list market data")
    dsub = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    sp = dsub.add_parser("add", parents=[common, data_out],
                         help="register candles from CSV/JSON or the synthetic generator")
    sp.add_argument("path", nargs="?", help="CSV (generic, Binance kline, CryptoDataDownload) "
                                            "or JSON [[ts_ms, o, h, l, c, v], ...]")
    sp.add_argument("--name", help="a name to refer to the dataset by")
    sp.add_argument("--asset", help="asset name (default: from the file name)")
    sp.add_argument("--timestamp-unit", choices=["s", "ms", "us", "ns"], default=None,
                    help="unit of epoch timestamps (default: inferred from their size; a time "
                         "outside 1990-2100 is then refused)")
    sp.add_argument("--synthetic", action="store_true", help="generate synthetic candles")
    sp.add_argument("--bars", type=int, default=17520, help="synthetic: number of bars")
    sp.add_argument("--seed", type=int, default=0, help="synthetic: seed")
    sp.add_argument("--edge", type=float, default=0.0, help="synthetic: planted edge (AR(1))")
    sp.set_defaults(func=cmd_data_add)
    sp = dsub.add_parser("list", parents=[common, data_out], help="list registered datasets")
    sp.set_defaults(func=cmd_data_list)

    sp = sub.add_parser("run", parents=[common, data_out], help="execute a TOML run config")
    sp.add_argument("config", help="path of the run config (TOML)")
    sp.add_argument("--memory-budget", metavar="SIZE", default=None,
                    help="refuse the run up front if its estimated peak memory exceeds SIZE "
                         "(e.g. 8GiB, 512MiB, off; default: $QRP_MEMORY_BUDGET or "
                         "min(60%% of RAM, available RAM))")
    sp.set_defaults(func=cmd_run)

    sp = sub.add_parser("runs", parents=[common, data_out], help="list runs")
    sp.set_defaults(func=cmd_runs)

    sp = sub.add_parser("candidates", parents=[common, data_out],
                        help="list candidates, or `add RUN` to make one from a trial")
    sp.add_argument("action", nargs="?", choices=["list", "add"], default="list")
    sp.add_argument("run", nargs="?", help="with add: run_key or instance id (prefix)")
    sp.add_argument("--trial", type=int, default=None,
                    help="with add: trial index (default: best in-sample Sharpe)")
    sp.set_defaults(func=cmd_candidates)

    sp = sub.add_parser("promote", parents=[common, data_out],
                        help="evaluate a candidate against the policy and promote it")
    sp.add_argument("candidate", help="candidate id (or a unique prefix)")
    sp.add_argument("--to", required=True, help="candidate | accepted")
    sp.set_defaults(func=cmd_promote)

    from .governance import reject, retire
    for name, func in (("reject", reject), ("retire", retire)):
        sp = sub.add_parser(name, parents=[common, data_out], help=f"{name} a candidate")
        sp.add_argument("candidate", help="candidate id (or a unique prefix)")
        sp.add_argument("--reason", required=True, help="why (recorded in the event chain)")
        sp.set_defaults(func=_end_cmd(func))

    sp = sub.add_parser("audit", parents=[common, data_out],
                        help="rebuild and verify a candidate's chain of evidence")
    sp.add_argument("candidate", help="candidate id (or a unique prefix)")
    sp.set_defaults(func=cmd_audit)

    sp = sub.add_parser("verify", parents=[common, data_out],
                        help="check every hash and invariant in the store, or with "
                             "--notebook the QRP outputs saved in a notebook")
    sp.add_argument("--notebook", metavar="NB.ipynb", default=None,
                    help="check this saved notebook's QRP outputs against the store")
    sp.add_argument("--digest", metavar="HEX", action="append",
                    help="a ledger digest recorded earlier (`qrp digest`): prove the store "
                         "still extends it (repeatable)")
    sp.add_argument("--digests", metavar="FILE", action="append",
                    help="a file of recorded digests, one per line")
    sp.add_argument("--replay", action="store_true",
                    help="also re-execute, from the store alone, every run behind a candidate "
                         "or accepted status and compare its result hashes")
    sp.set_defaults(func=cmd_verify)

    pol = sub.add_parser("policy", help="register a promotion policy (a recorded action)")
    psub = pol.add_subparsers(dest="policy_command", required=True, metavar="ACTION")
    sp = psub.add_parser("add", parents=[common, data_out],
                         help="register a policy file (JSON or TOML: name, version, levels)")
    sp.add_argument("file", help="the policy file")
    sp.add_argument("--reason", required=True, help="why (recorded in the event chain)")
    sp.set_defaults(func=cmd_policy_add)

    sp = sub.add_parser("digest", parents=[common, data_out],
                        help="print the ledger head: the digest to record outside the file")
    sp.set_defaults(func=cmd_digest)

    sp = sub.add_parser("lineage", parents=[common, data_out],
                        help="the lineage DAG of a run, run instance or candidate")
    sp.add_argument("ref", help="run_key, run_instance_id or candidate_id (or a unique prefix)")
    sp.add_argument("--html", metavar="OUT.html", default=None,
                    help="also write a standalone static HTML page (SVG images as data URIs) to OUT.html")
    sp.set_defaults(func=cmd_lineage)

    sp = sub.add_parser("replay", parents=[common, data_out],
                        help="re-execute a run from the store alone and compare hashes")
    sp.add_argument("run", help="run_key or run instance id (prefix)")
    sp.set_defaults(func=cmd_replay)

    sp = sub.add_parser("demo", parents=[common, data_out],
                        help="the golden path on synthetic data, end to end")
    sp.add_argument("--overwrite", action="store_true",
                    help="replace an existing demo store at --db")
    sp.set_defaults(func=cmd_demo)
    return p


def _fail(args: argparse.Namespace, exc: QrpError) -> int:
    print(terminal_safe(f"qrp {args.command}: error: {exc}"), file=sys.stderr)
    return exc.exit_code


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code = args.func(args)
        sys.stdout.flush()  # inside the try: a closed pipe surfaces here, not at exit
        return code
    except QrpError as exc:
        return _fail(args, exc)
    except DriverError as exc:  # a fault of the machine met outside the store's chokepoint
        fault = environment_fault(exc, args.command, getattr(args, "db", None))
        if fault is None:
            raise  # not the environment: a bug, shown with its traceback (exit 1)
        return _fail(args, fault)
    except MemoryError:
        return _fail(args, QrpError(
            "ran out of memory", where=f"qrp {args.command}",
            fix="shrink the work (fewer grid points, bars or bootstrap reps) or free memory; "
                "every write is one transaction, so nothing was half-written"))
    except BrokenPipeError:
        # The reader went away (`qrp ... | head -1`): whatever the command wrote is committed;
        # only its printed output was cut. Point stdout at /dev/null so the interpreter's exit
        # flush cannot raise again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        print(f"qrp {args.command}: output cut: the reading end of the pipe closed (the "
              "command's writes, if any, are committed)", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:  # the environment: a full disk, a missing folder, a permission
        return _fail(args, QrpError(
            f"{exc.strerror or exc} ({exc.filename})" if exc.filename else
            f"{exc.strerror or exc}", where=f"qrp {args.command}",
            fix="check the path, its folder's permissions and the free disk space "
                "(`df -h`); every write to the store is one transaction, so nothing was "
                "half-written"))
    except KeyboardInterrupt:
        print("qrp: interrupted; nothing half-written (every write is one transaction)",
              file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
