"""/articles: the corpus. Writes need an API key (see service.security)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response, status

from service import operations
from service.articles import ArticleError
from service.deps import EngineDep, require_reader, require_writer
from service.routes.errors import unprocessable
from service.schemas import (
    ArticleCreate,
    ArticleCreated,
    ArticlePublic,
    ArticlesPublic,
    ErrorResponse,
)

router = APIRouter(prefix="/articles", tags=["articles"])

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
        422: {"model": ErrorResponse},
        **_AUTH,
    },
)
def create_article(body: ArticleCreate, engine: EngineDep, response: Response) -> ArticleCreated:
    """Add an article. Its id is a hash of its text, so posting it again is harmless: 201
    when it was added, 200 with the same id when it was there already."""
    try:
        created = operations.add_article(engine, body)
    except ArticleError as exc:
        raise unprocessable(exc, "body", "text") from None
    response.status_code = status.HTTP_201_CREATED if created.created else status.HTTP_200_OK
    return created


@router.get("", response_model=ArticlesPublic, dependencies=[Depends(require_reader)])
def list_articles(
    engine: EngineDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ArticlesPublic:
    """Articles in the order they were added (without their text)."""
    return operations.list_articles(engine, limit=limit, offset=offset)


@router.get(
    "/{article_id}",
    response_model=ArticlePublic,
    dependencies=[Depends(require_reader)],
    responses=_NOT_FOUND,
)
def get_article(article_id: ArticleId, engine: EngineDep) -> ArticlePublic:
    """One article with its text (evidence offsets index into it)."""
    article = operations.get_article(engine, article_id)
    if article is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="article not found")
    return article


@router.delete(
    "/{article_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    dependencies=[Depends(require_writer)],
    responses={**_NOT_FOUND, **_AUTH},
)
def delete_article(article_id: ArticleId, engine: EngineDep) -> Response:
    """Remove an article and its claims."""
    if not operations.delete_article(engine, article_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="article not found")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
