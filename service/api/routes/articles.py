"""/articles: the corpus. Writes need an API key (see service.api.security)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response, status

from service.api.deps import ChecksDep, require_reader, require_writer
from service.api.responses import BODY_REFUSED, INVALID, STORAGE
from service.api.schemas import (
    ArticleCreate,
    ArticleCreated,
    ArticlePublic,
    ArticlesPublic,
    ErrorResponse,
)

router = APIRouter(prefix="/articles", tags=["articles"], responses=BODY_REFUSED)

ArticleId = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="Content hash.")]

_NOT_FOUND = {404: {"model": ErrorResponse, "description": "No article with this id."}}
_AUTH = {401: {"model": ErrorResponse}, 403: {"model": ErrorResponse}}


@router.post(
    "",
    response_model=ArticleCreated,
    status_code=status.HTTP_201_CREATED,
    dependencies=[Depends(require_writer)],
    responses={
        200: {"model": ArticleCreated, "description": "The same text was stored already."},
        **INVALID,
        **_AUTH,
        **STORAGE,
    },
)
def create_article(body: ArticleCreate, checks: ChecksDep, response: Response) -> ArticleCreated:
    """Add an article. Its id is a hash of its text, so posting it again is harmless: 201
    when it was added, 200 with the same id when it was there already."""
    ingested = checks.ingest_text(
        body.text, title=body.title, url=body.url, published=body.published, outlet=body.outlet
    )
    response.status_code = status.HTTP_201_CREATED if ingested.added else status.HTTP_200_OK
    return ArticleCreated.of_ingested(ingested)


@router.get("", response_model=ArticlesPublic, dependencies=[Depends(require_reader)])
def list_articles(
    checks: ChecksDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> ArticlesPublic:
    """Articles in the order they were added (without their text)."""
    return ArticlesPublic.of_page(checks.list_articles(limit=limit, offset=offset))


@router.get(
    "/{article_id}",
    response_model=ArticlePublic,
    dependencies=[Depends(require_reader)],
    responses=_NOT_FOUND,
)
def get_article(article_id: ArticleId, checks: ChecksDep) -> ArticlePublic:
    """One article with its text (evidence offsets index into it)."""
    return ArticlePublic.of(checks.get_article(article_id))


@router.delete(
    "/{article_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[Depends(require_writer)],
    responses={**_NOT_FOUND, **_AUTH, **STORAGE},
)
def delete_article(article_id: ArticleId, checks: ChecksDep) -> Response:
    """Remove an article and its claims."""
    checks.delete_article(article_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
