"""The governed SQLite store: schema, migrations, triggers, views, content-addressed artifacts."""

from .codec import (MEDIA_ARRAY, MEDIA_DATASET, MEDIA_JSON, MEDIA_TEXT, decode_array,
                    decode_json, encode_array, encode_json)
from .db import ENV_DB, Store, decode_blob, default_db_path, open_store
from .migrations import apply_migrations
from .schema import GENESIS_HASH, LEVELS, STATUSES

__all__ = [
    "Store", "open_store", "default_db_path", "ENV_DB", "apply_migrations", "decode_blob",
    "encode_array", "decode_array", "encode_json", "decode_json",
    "MEDIA_ARRAY", "MEDIA_DATASET", "MEDIA_JSON", "MEDIA_TEXT",
    "GENESIS_HASH", "LEVELS", "STATUSES",
]
