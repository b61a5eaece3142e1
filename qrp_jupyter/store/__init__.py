"""The governed SQLite store: schema, migrations, triggers, views, content-addressed artifacts.

Every statement QRP runs is named in :mod:`.statements` and executed by :class:`Store`
(``one``/``all``/``iterate`` to read, ``write``/``write_many`` inside ``transaction()``); the
domain writes of :mod:`.research` and :mod:`.promotion` are the rest of the write surface.
"""

from . import promotion, research
from .codec import (MEDIA_ARRAY, MEDIA_DATASET, MEDIA_JSON, MEDIA_TEXT, decode_array,
                    decode_json, encode_array, encode_json)
from .db import (ENV_DB, Store, checked_store_path, decode_blob, default_db_path,
                 first_event_kind, open_store)
from .migrations import apply_migrations
from .schema import GENESIS_HASH, LEVELS, STATUSES
from .statements import STATEMENTS

__all__ = [
    "Store", "open_store", "default_db_path", "ENV_DB", "apply_migrations", "decode_blob",
    "first_event_kind", "checked_store_path",
    "encode_array", "decode_array", "encode_json", "decode_json",
    "MEDIA_ARRAY", "MEDIA_DATASET", "MEDIA_JSON", "MEDIA_TEXT",
    "GENESIS_HASH", "LEVELS", "STATUSES", "STATEMENTS", "research", "promotion",
]
