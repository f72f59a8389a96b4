"""Vault lists (the SDK's `media.vault.lists`): the creator's folders of vault media.

Mounted before the media routes: `GET .../media/vault/lists` must not be taken for a media id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request

from massdm.api.caller import Metered
from massdm.api.responses import ERRORS
from massdm.api.routing import UnitOfWorkRoute
from massdm.api.schemas.common import Envelope, PagedEnvelope, SuccessOut, Text
from massdm.api.schemas.media import MediaIdsIn
from massdm.api.schemas.vault_lists import VaultListIn, VaultListOut, VaultListsBriefPageOut, VaultListsPageOut
from massdm.api.urls import media_urls, page_url
from massdm.domain.ids import MAX_DB_ID
from massdm.services import vault_lists as list_service

router = APIRouter(tags=["Media Vault Lists"], route_class=UnitOfWorkRoute, responses=ERRORS)

ListId = Annotated[int, Path(ge=1, le=MAX_DB_ID, description="The vault list's id.")]
LISTS = "/api/{account}/media/vault/lists"


@router.get(LISTS, response_model=PagedEnvelope[VaultListsPageOut | VaultListsBriefPageOut],
            summary="List vault lists")
def list_vault_lists(
    request: Request,
    caller: Metered,
    lightweight: Annotated[bool, Query(description="Only id, name, type, canUpdate and mediaCount per list.")] = False,
    limit: Annotated[int, Query(ge=1, le=100, description="Lists per page (1-100).")] = 24,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
    query: Annotated[Text | None, Query(max_length=255, description="Only lists whose name contains this.")] = None,
) -> PagedEnvelope[VaultListsPageOut | VaultListsBriefPageOut]:
    page = list_service.list_lists(caller.connection, caller.account.id, query=query, limit=limit, offset=offset,
                                   previews=not lightweight)
    data = VaultListsBriefPageOut.of(page) if lightweight else VaultListsPageOut.of(page, media_urls(request))
    next_page = page_url(request, offset=offset + limit, limit=limit) if page.has_more else None
    return PagedEnvelope.page(data, next_page, caller.charge())


@router.post(LISTS, response_model=Envelope[VaultListOut], summary="Create a vault list")
def create_vault_list(request: Request, body: VaultListIn, caller: Metered) -> Envelope[VaultListOut]:
    view = list_service.create_list(caller.connection, caller.account.id, body.name, caller.now)
    return Envelope(data=VaultListOut.of(view, media_urls(request)), meta=caller.charge())


@router.get(LISTS + "/{list_id}", response_model=Envelope[VaultListOut], summary="Get a vault list")
def get_vault_list(request: Request, list_id: ListId, caller: Metered) -> Envelope[VaultListOut]:
    view = list_service.get_list(caller.connection, caller.account.id, list_id)
    return Envelope(data=VaultListOut.of(view, media_urls(request)), meta=caller.charge())


@router.put(LISTS + "/{list_id}", response_model=Envelope[VaultListOut], summary="Rename a vault list")
def rename_vault_list(request: Request, list_id: ListId, body: VaultListIn, caller: Metered) -> Envelope[VaultListOut]:
    view = list_service.rename_list(caller.connection, caller.account.id, list_id, body.name)
    return Envelope(data=VaultListOut.of(view, media_urls(request)), meta=caller.charge())


@router.delete(LISTS + "/{list_id}", response_model=Envelope[SuccessOut], summary="Delete a vault list",
               description="The list goes; its media stay in the vault.")
def delete_vault_list(list_id: ListId, caller: Metered) -> Envelope[SuccessOut]:
    list_service.delete_list(caller.connection, caller.account.id, list_id)
    return Envelope(data=SuccessOut(), meta=caller.charge())


@router.post(LISTS + "/{list_id}/media", response_model=Envelope[VaultListOut], summary="Add media to a vault list",
             description="`mediaIds` must all be in this account's vault (404 naming the others); media already "
             "in the list stay as they are.")
def add_vault_list_media(
    request: Request, list_id: ListId, body: MediaIdsIn, caller: Metered
) -> Envelope[VaultListOut]:
    view = list_service.add_media(caller.connection, caller.account.id, list_id, [int(i) for i in body.media_ids],
                                  caller.now)
    return Envelope(data=VaultListOut.of(view, media_urls(request)), meta=caller.charge())


@router.delete(LISTS + "/{list_id}/media", response_model=Envelope[VaultListOut],
               summary="Remove media from a vault list",
               description="`mediaIds` must all be in this account's vault (404 naming the others); they leave "
               "the list, not the vault.")
def remove_vault_list_media(
    request: Request, list_id: ListId, body: MediaIdsIn, caller: Metered
) -> Envelope[VaultListOut]:
    view = list_service.remove_media(caller.connection, caller.account.id, list_id,
                                     [int(i) for i in body.media_ids])
    return Envelope(data=VaultListOut.of(view, media_urls(request)), meta=caller.charge())
