"""``QrpMagics``: the QRP magics and their settings.

Each magic parses its line with ``@magic_arguments``, hands the parsed arguments to one command
module in :mod:`qrp_kernel.cmd` (which calls one core function and builds what is displayed) and
returns the result. Parsing errors and every :class:`~qrp_jupyter.errors.QrpError` become one-line
``UsageError``s. Settings are traitlets, so they work from ``%config QrpMagics.db = '...'`` and
from ``c.QrpMagics.db = '...'`` in ``ipython_config.py``.
"""

from __future__ import annotations

import sys
from typing import Any, Callable

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.utils.process import arg_split
from traitlets import Bool, Int, Unicode, default

from .errors import translate_errors, usage_error

__all__ = ["QrpMagics"]

_DB_HELP = "store path for this call (default: QrpMagics.db)"


@magics_class
class QrpMagics(Magics):
    """Governed research from a notebook: ``%qrp_init``, ``%qrp_data``, ``%%qrp_run``,
    ``%qrp_promote``, ``%qrp_audit``, ``%qrp_lineage``, ``%qrp_runs``, ``%qrp_candidates``,
    ``%qrp_verify``, ``%qrp_digest``."""

    #: Source of the cell being run (IPython's ``ExecutionInfo.raw_cell``), or None.
    cell_source: str | None = None

    db = Unicode(help="Path of the QRP store (SQLite). Default: $QRP_DB, else ./qrp.sqlite."
                 ).tag(config=True)
    max_trials = Int(10, min=1, help="Trials listed in a run's rich summary.").tag(config=True)
    max_points = Int(400, min=2, help="Points per equity curve or histogram in rich output "
                                      "(downsampled for the notebook, never for the store)."
                     ).tag(config=True)
    short_errors = Bool(True, help="Show QRP errors as one-line UsageErrors. Set False to get "
                                   "the original exception with its traceback.").tag(config=True)
    progress = Bool(True, help="Show a progress bar while %%qrp_run computes.").tag(config=True)
    memory_budget = Unicode("", help="Memory a %%qrp_run may use (8GiB, 512MiB, off); empty: "
                                     "$QRP_MEMORY_BUDGET, else min(60% of MemTotal, "
                                     "MemAvailable). A run estimated above it is refused "
                                     "before any work.").tag(config=True)

    @default("db")
    def _default_db(self) -> str:
        from qrp_jupyter.store import default_db_path  # lazy: the store imports numpy

        return str(default_db_path())

    # -- helpers ------------------------------------------------------------------------------
    def note_cell(self, info: Any) -> None:
        """``pre_run_cell`` hook: remember the cell's complete source as executed, which is
        what Jupyter saves as its ``source``; every QRP output records its SHA-256."""
        self.cell_source = getattr(info, "raw_cell", None)

    def _args(self, func: Callable[..., Any], line: str, magic: str) -> Any:
        """Parse ``line`` with ``func``'s ``@magic_arguments`` parser; one-line errors.

        Split POSIX-style (quotes are removed: ``%%qrp_run "my run"`` names the run
        ``my run``), except on Windows where backslashes are path separators.
        """
        try:
            argv = arg_split(line, posix=not sys.platform.startswith("win"), strict=True)
            return func.parser.parse_args(argv)
        except UsageError as exc:  # argparse's own message, e.g. "unrecognized arguments: -x"
            raise usage_error(magic, str(exc), where=f"{magic} {line}".strip(),
                              fix=f"see `{magic.lstrip('%')}?` for the options") from None
        except ValueError as exc:  # shlex: an unclosed quote
            raise usage_error(magic, f"cannot split the arguments: {exc}", where=line,
                              fix="close the quotes") from None

    def _errors(self, magic: str):
        return translate_errors(magic, short=self.short_errors)

    def store_path(self, override: str | None) -> str:
        """The store this call uses: ``--db`` if given, else the ``db`` setting.

        Refused as ``qrp --db`` refuses them: an empty path, and ``:memory:`` (a store that
        would vanish with the call).
        """
        from qrp_jupyter.store import checked_store_path

        path = self.db if override is None else override
        return checked_store_path(path, lasts="for this one call",
                                  otherwise="or leave --db out to use QrpMagics.db")

    # -- magics -------------------------------------------------------------------------------
    @line_magic
    @magic_arguments()
    @argument("--db", default=None, metavar="PATH",
              help="the store to create or open (default: QrpMagics.db); it becomes this "
                   "session's store")
    def qrp_init(self, line: str = ""):
        """Create a governed QRP store (or open and migrate an existing one), as `qrp init`
        does, and make it the store of every QRP magic in this session (QrpMagics.db).

        A path that cannot hold a store (a folder, a file that is not a QRP store) is a
        one-line error and creates nothing.
        """
        args = self._args(self.qrp_init, line, "%qrp_init")
        from .cmd.init import init_magic

        with self._errors("%qrp_init"):
            init_magic(self, args)

    @line_magic
    @magic_arguments()
    @argument("action", nargs="?", default="list", choices=["add", "list"],
              help="add: register data; list (default): the registered datasets")
    @argument("source", nargs="?", default=None, metavar="SOURCE",
              help="add: a CSV/JSON file path, or the name of a pandas DataFrame variable")
    @argument("--name", default=None, help="add: a name to refer to the dataset by")
    @argument("--asset", default=None,
              help="add: asset name (default: from the file name; a DataFrame: SYN)")
    @argument("--timestamp-unit", default=None, choices=["s", "ms", "us", "ns"],
              help="add, files: unit of epoch timestamps (default: inferred from their size)")
    @argument("--synthetic", action="store_true",
              help="add: synthetic candles from the seeded generator instead of a source")
    @argument("--bars", type=int, default=None,
              help="--synthetic: number of bars (default: the generator's, 17520)")
    @argument("--seed", type=int, default=None, help="--synthetic: seed (default 0)")
    @argument("--edge", type=float, default=None,
              help="--synthetic: planted edge, AR(1) coefficient (default 0.0)")
    @argument("--db", default=None, help=_DB_HELP)
    def qrp_data(self, line: str = ""):
        """Register market data, or list the registered datasets (as `qrp data add|list`).

        ``%qrp_data add prices.csv --name btc-1h`` reads a file; ``%qrp_data add bars --name
        btc-1h`` registers the DataFrame in the notebook variable ``bars``; ``%qrp_data add
        --synthetic --seed 12 --edge 0.15 --name edge`` generates candles. Registering the same
        candles again adds at most a name (the id is the data's content hash). Returns a
        result whose ``.data["dataset_id_v2"]`` is the id; bad input is a one-line error and
        writes nothing. ``%qrp_data`` alone lists the datasets as a DataFrame.
        """
        args = self._args(self.qrp_data, line, "%qrp_data")
        from .cmd.data import data_magic

        with self._errors("%qrp_data"):
            return data_magic(self, args)

    @cell_magic
    @magic_arguments(name="%qrp_run")  # IPython prefixes one more "%": usage reads %%qrp_run
    @argument("name", nargs="?", default=None,
              help="run name (overrides the config's `name`; a label, not in the run_key)")
    @argument("--dataset", default=None,
              help="registered dataset name or dataset_id_v2 prefix (overrides data.dataset)")
    @argument("--db", default=None, help=_DB_HELP)
    @argument("--out", default=None, metavar="VAR",
              help="also bind the RunResult to this variable")
    @argument("--memory-budget", default=None, metavar="SIZE",
              help="memory the run may use (8GiB, 512MiB, off); default: the memory_budget "
                   "setting, else $QRP_MEMORY_BUDGET, else 60%% of RAM or what is available")
    def qrp_run(self, line: str, cell: str):
        """Execute the run config in the cell body (TOML, the schema of `qrp run`).

        A ``[strategy]`` with ``kind = "user"`` may name a function defined in the notebook
        (``function = "my_signal"``); its source is hashed into the run_key. Returns a
        :class:`~qrp_kernel.result.RunResult`.
        """
        args = self._args(self.qrp_run, line, "%%qrp_run")
        from .cmd.run import run_cell

        with self._errors("%%qrp_run"):
            result = run_cell(self, args, cell)
        if args.out:
            self.shell.user_ns[args.out] = result
        return result

    @line_magic
    @magic_arguments()
    @argument("ref", metavar="REF",
              help="candidate id (prefix); or, with --to candidate, a run_key or run instance "
                   "id to make a candidate of (see --trial)")
    @argument("--to", required=True, metavar="LEVEL",
              help="candidate | accepted (evaluated against the policy); rejected | retired "
                   "(needs --reason)")
    @argument("--trial", type=int, default=None,
              help="when REF is a run: the trial index (default: best in-sample Sharpe)")
    @argument("--reason", default=None, help="why, for rejected | retired (recorded)")
    @argument("--db", default=None, help=_DB_HELP)
    def qrp_promote(self, line: str):
        """Promote a candidate (or a run's trial) one level, or end it with a reason.

        A refused promotion is an outcome, not an error: its failing eligibility report is
        recorded (the refusal is evidence) and shown with the blockers in words. Bad input (an
        unknown candidate, a wrong level, an illegal transition) raises a one-line UsageError
        and writes nothing.
        """
        args = self._args(self.qrp_promote, line, "%qrp_promote")
        from .cmd.promote import promote_magic

        with self._errors("%qrp_promote"):
            return promote_magic(self, args)

    @line_magic
    @magic_arguments()
    @argument("ref", metavar="REF", help="candidate id (or a unique prefix)")
    @argument("--db", default=None, help=_DB_HELP)
    def qrp_audit(self, line: str):
        """Rebuild and verify a candidate's chain of evidence from the store alone."""
        args = self._args(self.qrp_audit, line, "%qrp_audit")
        from .cmd.audit import audit_magic

        with self._errors("%qrp_audit"):
            return audit_magic(self, args)

    @line_magic
    @magic_arguments()
    @argument("ref", metavar="REF", help="run_key, run instance id or candidate id (prefix)")
    @argument("--static", action="store_true",
              help="the static view only (SVG DAG and payload, no widget): the same output in "
                   "every front end, and nothing in the notebook's widget state")
    @argument("--db", default=None, help=_DB_HELP)
    def qrp_lineage(self, line: str):
        """The lineage DAG of a run or candidate, as an interactive widget whose output also
        carries the static view (SVG DAG, the lineage payload) for front ends without it."""
        args = self._args(self.qrp_lineage, line, "%qrp_lineage")
        from .cmd.lineage import lineage_magic

        with self._errors("%qrp_lineage"):
            return lineage_magic(self, args)

    @line_magic
    @magic_arguments()
    @argument("--db", default=None, help=_DB_HELP)
    def qrp_runs(self, line: str = ""):
        """Every run in the store, oldest first, as a pandas DataFrame."""
        args = self._args(self.qrp_runs, line, "%qrp_runs")
        from .cmd.listing import runs_frame

        with self._errors("%qrp_runs"):
            return runs_frame(self, args)

    @line_magic
    @magic_arguments()
    @argument("--db", default=None, help=_DB_HELP)
    def qrp_candidates(self, line: str = ""):
        """Every promotion candidate with its status and evidence link, as a DataFrame."""
        args = self._args(self.qrp_candidates, line, "%qrp_candidates")
        from .cmd.listing import candidates_frame

        with self._errors("%qrp_candidates"):
            return candidates_frame(self, args)

    @line_magic
    @magic_arguments()
    @argument("--notebook", default=None, metavar="PATH",
              help="check a saved notebook's QRP outputs against the store instead (each "
                   "rendered again from the store and compared byte for byte)")
    @argument("--digest", action="append", default=None, metavar="HEX",
              help="a ledger digest recorded earlier (%%qrp_digest, `qrp digest`): prove the "
                   "store still extends it (repeatable)")
    @argument("--replay", action="store_true",
              help="also re-execute, from the store alone, every run behind a candidate or "
                   "accepted status and compare its result hashes")
    @argument("--db", default=None, help=_DB_HELP)
    def qrp_verify(self, line: str = ""):
        """Check every hash and invariant in the store (or a saved notebook against it).

        Problems are shown, then raised as a one-line UsageError so that a notebook run in CI
        fails when its evidence does not verify.
        """
        args = self._args(self.qrp_verify, line, "%qrp_verify")
        from .cmd.verify import verify_magic

        with self._errors("%qrp_verify"):
            return verify_magic(self, args)

    @line_magic
    @magic_arguments()
    @argument("--db", default=None, help=_DB_HELP)
    def qrp_digest(self, line: str = ""):
        """Print the store's ledger head (its last line is the 64-hex digest to record outside
        the file, for `%qrp_verify --digest`) and return it as a dict."""
        args = self._args(self.qrp_digest, line, "%qrp_digest")
        from .cmd.verify import digest_magic

        with self._errors("%qrp_digest"):
            return digest_magic(self, args)
