"""``%qrp_init``: create (or open and migrate) a governed store from a notebook, as
``qrp init`` does, and make it this session's store."""

from __future__ import annotations

from typing import Any

__all__ = ["init_magic"]


def init_magic(magics: Any, args: Any) -> str:
    """Create or migrate the store, point ``QrpMagics.db`` at it, print one line; returns the
    path as given.

    The path is printed as given, not resolved: a saved notebook then holds no machine's
    absolute path. A path that cannot hold a store (a folder, a file that is not a QRP store,
    a missing parent folder) is a one-line error and creates nothing.
    """
    from qrp_jupyter.store import open_store

    path = magics.store_path(args.db)
    with open_store(path, create=True) as store:
        store.ensure_file()
        n = store.one("schema_migrations.count")["n"]
    magics.db = path
    print(f"QRP store ready at {path} ({n} migration(s) applied); the QRP magics of this "
          "session now use it")
    return path
