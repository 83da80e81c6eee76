"""Finding similar paintings: a FAISS index over embeddings, titles as queries, and how good the search is.

* :mod:`.index`: :class:`SimilarityIndex` (cosine k-NN, saved to disk);
* :mod:`.embedder_card`: how an index's vectors were made, so that a new image is embedded alike;
* :mod:`.titles`: a title encoder (sentence-transformers) and a title-refined image projection;
* :mod:`.text_to_image`: title text -> image search, measured on held-out paintings;
* :mod:`.scores`: precision / recall at k by label, agreement with a proxy similarity.
"""

from .embedder_card import EmbedderCard
from .index import SimilarityIndex, normalize
from .scores import label_retrieval, precision_recall_at_k, proxy_agreement
from .text_to_image import fit_text_to_image, held_out_title_retrieval, text_to_image_scores
from .titles import embed_titles, fit_title_projection, load_title_encoder, pair_contrastive_loss, title_pairs

__all__ = [
    "EmbedderCard",
    "SimilarityIndex",
    "embed_titles",
    "fit_text_to_image",
    "fit_title_projection",
    "held_out_title_retrieval",
    "label_retrieval",
    "load_title_encoder",
    "normalize",
    "pair_contrastive_loss",
    "precision_recall_at_k",
    "proxy_agreement",
    "text_to_image_scores",
    "title_pairs",
]
