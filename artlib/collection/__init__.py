"""A collection past one machine: path shards in Parquet, embedding on Ray Data, completeness checked by ids.

shards = write_path_shards(paths, ids, "shards/", rows_per_shard=10_000)
run = embed_collection(shards, EmbedderCard(...), "embeddings/", workers=2)   # resumable, shard by shard
check_complete(shards, "embeddings/")                                          # every id once, none lost
"""

from .completeness import CompletenessReport, check_complete
from .shards import list_tar_shards, read_ids, shard_files, write_path_shards

__all__ = ["CompletenessReport", "check_complete", "list_tar_shards", "read_ids", "shard_files", "write_path_shards"]
