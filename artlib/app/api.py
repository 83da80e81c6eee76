"""A JSON API beside the explorer's pages, served by the same process over the same artefacts:

    GET /api/info                          what the explorer serves: the collection, its size, its index (and
                                           whether its files were read into the page cache: ``page_cache``)
    GET /api/similar?id=ID&k=8             the k nearest paintings to a collection painting, as JSON rows
    GET /api/similar?position=12&k=8       the same by position (a collection on disk: notebook 15)

Scripts, notebooks and load tests ask it without a browser (``curl 127.0.0.1:8501/api/similar?id=...``). A
missing painting is a 404, a bad argument a 400, a run without a collection a 404 naming the notebook to run;
each answer says how many milliseconds the query took in the server (``ms``).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

    from .explorer import Explorer

#: at most this many neighbours per query
MAX_K = 100


class BadRequest(ValueError):
    """An argument the API cannot use (HTTP 400)."""


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-ready rows: numpy scalars as Python numbers, NaN and missing values as null (as ``to_json`` writes
    them)."""
    return json.loads(frame.to_json(orient="records", double_precision=6, default_handler=str))


def _k_of(value: str | None) -> int:
    try:
        k = int(value) if value is not None else 8
    except ValueError:
        raise BadRequest(f"k must be a whole number, got {value!r}") from None
    if not 1 <= k <= MAX_K:
        raise BadRequest(f"k must lie in [1, {MAX_K}], got {k}")
    return k


def info(ex: Explorer) -> dict[str, Any]:
    """The collection the API searches: ``kind`` (``image index``, ``disk index`` or none), size and index."""
    if ex.images is not None:
        return {"collection": "image index", "paintings": len(ex.images.items), "outputs": str(ex.outputs)}
    if ex.large is not None:
        params = ex.large.index.params
        return {"collection": "disk index", "paintings": len(ex.large), "index": params.factory,
                "nprobe": params.nprobe, "page_cache": ex.large.page_cache, "outputs": str(ex.outputs)}  # fmt: skip
    return {"collection": None, "paintings": 0, "outputs": str(ex.outputs)}


def similar(ex: Explorer, item_id: str | None, position: str | None, k: int) -> dict[str, Any]:
    """The answer of ``/api/similar``: ``KeyError`` for an unknown painting, ``LookupError`` without a
    collection, :class:`BadRequest` for arguments that do not fit."""
    if (item_id is None) == (position is None):
        raise BadRequest("give one of id= or position=")
    started = time.perf_counter()
    if ex.images is not None:
        if position is not None:
            raise BadRequest("this collection is an image index: ask by id=")
        hits = ex.similar(item_id=item_id, k=k)
        query: dict[str, Any] = {"id": item_id}
    elif ex.large is not None:
        if position is None:
            at = ex.large.catalogue.position_of(str(item_id))
            if at is None:
                raise KeyError(f"no painting {item_id!r} in the collection")
        else:
            try:
                at = int(position)
            except ValueError:
                raise BadRequest(f"position must be a whole number, got {position!r}") from None
        hits = ex.large.similar(position=at, k=k)  # a position outside the collection: its IndexError, a 404
        query = {"position": at, **({"id": item_id} if item_id is not None else {})}
    else:
        raise LookupError("no collection to search: run notebook 14 (an image index) or 15 (a collection on disk)")
    return {"query": query, "k": k, "ms": round(1000 * (time.perf_counter() - started), 2), "results": _records(hits)}


def _answer(call: Any) -> Response:
    from starlette.responses import JSONResponse

    try:
        return JSONResponse(call())
    except BadRequest as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    except LookupError as exc:  # KeyError, IndexError, no collection
        return JSONResponse({"error": str(exc.args[0]) if exc.args else str(exc)}, status_code=404)


def _explorer() -> Explorer:
    from .views.common import explorer  # the pages' explorer: one set of artefacts in the process

    return explorer()


def similar_endpoint(request: Request) -> Response:
    params = request.query_params
    return _answer(lambda: similar(_explorer(), params.get("id"), params.get("position"), _k_of(params.get("k"))))


def info_endpoint(request: Request) -> Response:  # noqa: ARG001  (Starlette passes the request)
    return _answer(lambda: info(_explorer()))


def routes() -> list[Any]:
    """The API's Starlette routes (plain functions: Starlette runs them in its thread pool, side by side)."""
    from starlette.routing import Route

    return [Route("/api/similar", similar_endpoint), Route("/api/info", info_endpoint)]
