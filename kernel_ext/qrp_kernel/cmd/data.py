"""``%qrp_data``: register market data (a CSV/JSON file, a DataFrame variable of the notebook
or the synthetic generator) or list the registered datasets, as ``qrp data add`` / ``qrp data
list`` do, with the same core functions and the same checks.

Every check that does not need the store is made first (the name, the source, the data
itself); the store is opened for writing only once the dataset is complete, and registering
is one transaction, so bad input writes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..display import Rich
from ..errors import usage_error

__all__ = ["data_magic", "load_source"]

_MAGIC = "%qrp_data"
#: ``(argparse dest, as the user writes it)`` of the options only ``add`` takes.
_ADD_ONLY = (("source", "SOURCE"), ("name", "--name"), ("asset", "--asset"),
             ("timestamp_unit", "--timestamp-unit"), ("synthetic", "--synthetic"),
             ("bars", "--bars"), ("seed", "--seed"), ("edge", "--edge"))


def load_source(magics: Any, args: Any):
    """The :class:`qrp_jupyter.data.Dataset` that ``args`` name (nothing is written)."""
    from qrp_jupyter.data import from_dataframe, load, synthetic

    if args.synthetic:
        if args.source is not None:
            raise usage_error(_MAGIC, f"both a source {args.source!r} and --synthetic given",
                              where="SOURCE", fix="drop one of them")
        # Options left out take the generator's own defaults (those `qrp data add` shows).
        given = {k: v for k, v in (("n_bars", args.bars), ("seed", args.seed),
                                   ("edge", args.edge)) if v is not None}
        return synthetic(name=args.name, **given)
    if args.source is None:
        raise usage_error(_MAGIC, "no data given", where=f"{_MAGIC} add",
                          fix="pass a CSV/JSON path, the name of a DataFrame variable, or "
                              "--synthetic")
    ns = magics.shell.user_ns
    if args.source.isidentifier() and args.source in ns:
        return _from_variable(args, ns[args.source], from_dataframe)
    path = Path(args.source)
    if args.source.isidentifier() and not path.exists():
        raise usage_error(_MAGIC, f"no variable or file named {args.source!r}",
                          where="SOURCE", fix="define the DataFrame first, or pass a file "
                                              "path (with its .csv / .json suffix)")
    kw = {"asset": args.asset} if args.asset else {}
    if args.timestamp_unit:
        kw["timestamp_unit"] = args.timestamp_unit
    return load(path, name=args.name, **kw)


def _from_variable(args: Any, value: Any, from_dataframe: Any):
    import pandas as pd

    if not isinstance(value, pd.DataFrame):
        raise usage_error(_MAGIC, f"variable {args.source!r} is a {type(value).__name__}, "
                          "not a pandas DataFrame", where="SOURCE",
                          fix="pass a DataFrame of candles (timestamp, open, high, low, "
                              "close, volume) or a file path")
    if args.timestamp_unit:
        raise usage_error(_MAGIC, "--timestamp-unit applies to files, not to a DataFrame",
                          where="--timestamp-unit",
                          fix="convert the frame's timestamps (pandas.to_datetime(..., "
                              "unit=...)) and drop --timestamp-unit")
    kw = {"asset": args.asset} if args.asset else {}
    return from_dataframe(value, name=args.name, **kw)


def _add(magics: Any, args: Any) -> Rich:
    from qrp_jupyter.runs import register_dataset
    from qrp_jupyter.safetext import shown
    from qrp_jupyter.store import open_store
    from qrp_jupyter.views import MISSING

    for flag in ("bars", "seed", "edge"):
        if getattr(args, flag) is not None and not args.synthetic:
            raise usage_error(_MAGIC, f"--{flag} applies to --synthetic data only",
                              where=f"--{flag}", fix=f"add --synthetic, or drop --{flag}")
    # The core checks the name (not blank, not readable as an id prefix) as it reads the data
    # and again as it registers it; the store is opened only after both.
    ds = load_source(magics, args)
    with open_store(magics.store_path(args.db), create=True) as store:
        ds_id = register_dataset(store, ds, name=args.name)
    summary = ds.summary()
    text = (f"registered dataset_id_v2 {ds_id}\n"
            f"  name: {MISSING if args.name is None else shown(args.name)}\n"
            f"  assets: {', '.join(shown(a) for a in ds.assets)}  interval: "
            f"{summary.get('interval')}")
    return Rich({"text/plain": text}, {"dataset_id_v2": ds_id, "name": args.name, **summary})


def _list(magics: Any, args: Any):
    from qrp_jupyter.runs import list_datasets
    from qrp_jupyter.store import open_store

    from .listing import listing_frame

    with open_store(magics.store_path(args.db), create=False, readonly=True) as store:
        rows = list_datasets(store)
    columns = ["dataset_id_v2", "names", "assets", "interval", "source", "created_at"]
    return listing_frame(rows, columns, title="QRP datasets")


def data_magic(magics: Any, args: Any):
    """``add``: a :class:`~qrp_kernel.display.Rich` whose ``.data`` holds ``dataset_id_v2``
    and the dataset's summary; ``list``: the datasets as a listing DataFrame."""
    if args.action == "list":
        for dest, flag in _ADD_ONLY:
            if getattr(args, dest) not in (None, False):
                raise usage_error(_MAGIC, f"{flag} applies to `add`, not `list`", where=flag,
                                  fix=f"use {_MAGIC} add ... to register data")
        return _list(magics, args)
    return _add(magics, args)
