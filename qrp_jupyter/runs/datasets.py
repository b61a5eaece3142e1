"""Registering market data in the store, and reading it back from the store alone."""

from __future__ import annotations

from typing import Any

from ..data import Dataset
from ..errors import AmbiguousReference, ConfigError, NotFoundError
from ..identity import canonical_json, now_iso
from ..store import MEDIA_DATASET, Store, research
from ..store.db import clipped_ref, normal_hex_ref

__all__ = ["register_dataset", "load_dataset", "resolve_dataset", "list_datasets",
           "check_dataset_name"]


def register_dataset(store: Store, dataset: Dataset, *, name: str | None = None) -> str:
    """Store the dataset's canonical bytes and metadata; returns ``dataset_id_v2``.

    Idempotent by content: registering the same candles again (from any file format) adds at
    most a new name for the same id.
    """
    name = name if name is not None else dataset.name
    check_dataset_name(name)
    data = dataset.to_bytes()
    with store.transaction():
        artifact_id = store.put_artifact(data, MEDIA_DATASET)
        ds_id = dataset.dataset_id_v2
        assert artifact_id == ds_id, "dataset_id_v2 is the hash of the canonical encoding"
        research.add_dataset(store, dataset_id_v2=ds_id, source=dataset.source,
                             summary_json=canonical_json(dataset.summary()), name=name,
                             at=now_iso())
    return ds_id


def check_dataset_name(name: str | None, *, where: str = "--name") -> None:
    """Refuse a dataset name that could be read as an id prefix.

    The rule (DESIGN: names vs ids): a name must not be all hex digits with 6 or more of them
    (the shortest id prefix QRP resolves), so that no name can ever equal a dataset id prefix,
    today's or a future dataset's. Shorter hex names (``abc``) and any name with another
    character (``btc-1h``, ``2024-q1``) are fine. Names already in an older store are still
    resolved, but a reference that is both a name and an id prefix is refused as ambiguous.
    """
    if name is None:
        return
    hexed = normal_hex_ref(name)
    if hexed is not None and len(hexed) >= 6:
        raise ConfigError(f"dataset name {clipped_ref(name)} is all hex digits, so it reads "
                          "as a dataset id prefix", where=where,
                          fix="choose a name with a letter beyond a-f or a separator, e.g. "
                              f"\"{name.strip()}-data\"")


def resolve_dataset(store: Store, ref: str, *, where: str = "data.dataset") -> str:
    """A dataset's full id from a registered name, a full id or a unique id prefix.

    A reference that is a name of one dataset and also an id prefix of another (possible only
    for names registered before :func:`check_dataset_name`) is refused: neither wins silently.
    """
    rows = store.all("dataset_names.ids_named", (ref,))
    if len(rows) > 1:
        ids = ", ".join(r["dataset_id_v2"][:12] for r in rows)
        raise NotFoundError(f"dataset name {ref!r} names {len(rows)} different datasets ({ids})",
                            where=where, fix="refer to the dataset by its id (or a prefix)")
    hexed = normal_hex_ref(ref)
    by_id = store.prefix_matches("datasets", "dataset_id_v2", hexed) \
        if hexed is not None and len(hexed) >= 6 else []
    if len(rows) == 1:
        named = rows[0]["dataset_id_v2"]
        others = [i for i in by_id if i != named]
        if others:
            raise AmbiguousReference(
                f"dataset reference {ref!r} is both the name of dataset {named[:16]} and an id "
                f"prefix of dataset {others[0][:16]}", matches=[named, *others],
                count=1 + len(others), where=where,
                fix=f"refer to the dataset by more of its id, e.g. {named[:16]!r} or "
                    f"{others[0][:16]!r}")
        return named
    try:
        return store.resolve("datasets", "dataset_id_v2", ref, what="dataset")
    except AmbiguousReference:
        raise
    except NotFoundError:
        names = [r["name"] for r in store.all("dataset_names.known")]
        raise NotFoundError(
            f"no dataset named or identified {clipped_ref(ref)} in {store.path}", where=where,
            fix=("register it with `qrp data add FILE --name NAME`; known names: "
                 + (", ".join(names) if names else "none"))) from None


def load_dataset(store: Store, ref: str, *, where: str = "data.dataset") -> Dataset:
    """The dataset exactly as the store holds it (hash-verified on read)."""
    ds_id = resolve_dataset(store, ref, where=where)
    row = store.one("datasets.get", (ds_id,))
    names = store.all("dataset_names.of_dataset", (ds_id,))
    return Dataset.from_bytes(store.get_artifact(ds_id),
                              name=names[0]["name"] if names else None, source=row["source"])


def list_datasets(store: Store) -> list[dict[str, Any]]:
    import json
    out = []
    for r in store.all("datasets.listing"):
        s = json.loads(r["summary_json"])
        out.append({"dataset_id_v2": r["dataset_id_v2"], "names": r["names"] or "",
                    "source": r["source"], "assets": s.get("assets"),
                    "interval": s.get("interval"), "created_at": r["created_at"]})
    return out
