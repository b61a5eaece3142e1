"""Registering candles: loaders, validation, the :class:`Dataset` value object, synthetic data.

Every route in (a file, a DataFrame, stored bytes, the generator) ends in the same validation
(:mod:`qrp_jupyter.data.validate`) and the same canonical encoding, so the same candles always get
the same ``dataset_id_v2`` and bad candles are refused with the file, line and column to fix.
"""

from .dataset import Dataset, from_dataframe, from_frames
from .loaders import FORMATS, asset_from_filename, load, read_csv, read_json
from .synthetic import synthetic

__all__ = ["Dataset", "from_dataframe", "from_frames", "read_csv", "read_json", "load",
           "synthetic", "FORMATS", "asset_from_filename"]
