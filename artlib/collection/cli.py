"""``artlib-embed``: embed a collection with a frozen network on Ray, shard by shard, resumable.

    artlib-embed paintings/ --model efficientnet_lite0 --out embeddings/            # an image folder, local Ray
    artlib-embed shards/ --model efficientnet_lite0 --out embeddings/ --workers 8   # Parquet shards of id, path
    artlib-embed webdataset/ --model efficientnet_lite0 --out embeddings/           # WebDataset tar shards
    ARTLIB_RAY_ADDRESS=head:6379 artlib-embed shards/ --model ... --out /shared/embeddings/   # a cluster

An image folder is listed into ``OUT/shards`` first (``--rows-per-shard`` rows each), a folder of WebDataset
``*.tar`` shards one Parquet shard per tar (the images are read out of the tars). Run the same command again
after a stop, or after the folder gained images: the shards already written are kept, the rest are embedded (what
the folder gained is listed after the rest; ``OUT`` is refused for another collection). It ends by checking, by
ids, that every painting was embedded once (or listed with its error), and exits 1 when not.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from .shards import SHARD_GLOB


def _shards(collection: Path, out: Path, rows_per_shard: int) -> list[Path]:
    """``collection``'s own Parquet shards, else its listing in ``out/shards`` (made now, or brought up to date:
    :func:`~artlib.collection.listing.list_collection`)."""
    from .listing import list_collection
    from .shards import shard_files

    if any(collection.glob(SHARD_GLOB)):
        return shard_files(collection)
    return list_collection(collection, out / "shards", rows_per_shard)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "collection", type=Path, help="a folder of images, of Parquet shards (id, path) or of WebDataset .tar shards"
    )
    parser.add_argument("--model", default="efficientnet_lite0", help="a registered backbone (artlib.models)")
    parser.add_argument("--out", type=Path, required=True, help="where the embedding shards go")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--untrained", action="store_true", help="random weights (no pretrained ones)")
    parser.add_argument("--workers", type=int, default=2, help="model replicas (Ray actors)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--gpus-per-worker", type=float, default=0.0)
    parser.add_argument("--rows-per-shard", type=int, default=10_000)
    parser.add_argument("--address", default=None, help="a Ray cluster (default: $ARTLIB_RAY_ADDRESS, else local)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    from ..models import create_backbone, input_normalization
    from ..retrieval.embedder_card import EmbedderCard
    from .completeness import check_complete
    from .ray_embed import embed_collection, ray_session

    if args.workers < 1 or args.batch_size < 1 or args.rows_per_shard < 1 or args.image_size < 32:
        parser.error("--workers, --batch-size and --rows-per-shard must be at least 1, --image-size at least 32")
    if not args.collection.is_dir():
        what = "a file, not a folder" if args.collection.exists() else "no such folder"
        parser.exit(2, f"artlib-embed: {what}: {args.collection}\n")
    if args.out.exists() and not args.out.is_dir():
        parser.exit(2, f"artlib-embed: --out {args.out} is a file, not a folder\n")
    try:  # what the arguments name, before Ray starts: a clear line instead of a traceback
        network = create_backbone(args.model, **({} if args.untrained else {"pretrained": True}))
        shards = _shards(args.collection, args.out, args.rows_per_shard)
    except (FileNotFoundError, ValueError, KeyError) as exc:
        logging.getLogger(__name__).debug("artlib-embed failed", exc_info=True)
        said = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc  # a KeyError's str is its repr
        parser.exit(2, f"artlib-embed: {said}\n")
    card = EmbedderCard(args.model, args.image_size, input_normalization(network), pretrained=not args.untrained)
    (args.out).mkdir(parents=True, exist_ok=True)
    (args.out / "embedder.json").write_text(json.dumps(card.to_dict(), indent=1))
    embeddings = args.out / "embeddings"
    with ray_session(args.workers, args.address):
        run = embed_collection(
            shards, card, embeddings, args.workers, args.batch_size, gpus_per_worker=args.gpus_per_worker
        )
    report = check_complete(shards, embeddings)
    print(
        f"{run.summary()}; {report.unreadable} unreadable in all (listed with their error); complete: {report.complete}"
    )
    if not report.complete:
        print(f"missing {len(report.missing)}, repeated {len(report.repeated)}, pending {report.pending_shards}")
        sys.exit(1)
