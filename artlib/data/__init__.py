"""Data: real-format parsers, the :class:`ArtTable`, datasets, transforms and splits."""

from .csv_rows import BadRows, MalformedRowsError
from .duplicates import content_hashes, file_digest, find_duplicates
from .folders import IMAGE_EXTENSIONS, load_csv_table, load_image_folder, load_split_folders
from .images import ImageLoadError, image_size, load_rgb
from .margins import TrimMargins, content_box, margin_stats, trim_margins
from .nga import load_nga
from .painter_by_numbers import load_painter_by_numbers, parse_year
from .splits import Splits, stratified_split
from .table import MISSING, ArtTable, drop_empty_classes, encode_labels
from .wga import load_wga
from .wikiart import load_wikiart, read_class_list, read_split_file, split_overlap

__all__ = [
    "ArtTable",
    "BadRows",
    "IMAGE_EXTENSIONS",
    "ImageLoadError",
    "MISSING",
    "MalformedRowsError",
    "Splits",
    "TrimMargins",
    "content_box",
    "content_hashes",
    "drop_empty_classes",
    "encode_labels",
    "file_digest",
    "find_duplicates",
    "image_size",
    "load_csv_table",
    "load_image_folder",
    "load_nga",
    "load_painter_by_numbers",
    "load_rgb",
    "load_split_folders",
    "load_wga",
    "margin_stats",
    "load_wikiart",
    "parse_year",
    "read_class_list",
    "read_split_file",
    "split_overlap",
    "stratified_split",
    "trim_margins",
]
