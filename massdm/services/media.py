"""Media: take an upload in (type it, measure it, make its variants, charge for it), read the vault and
delete from it.

Deleting is for the vault only: a deleted item leaves vault reads, vault lists and upload status,
and can never be attached to a message again, but every message that already holds it keeps it,
so fans who received it still see it (its row and files stay).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection

from massdm.domain.ids import parse_db_id
from massdm.domain.media import SNIFF_BYTES, MediaType, Sniffed, is_upload_id, new_upload_id, sniff
from massdm.errors import NotFound, ValidationFailed
from massdm.media.images import NotAnImage, image_size, render_variants
from massdm.media.probe import AvTools, poster_frame, probe
from massdm.media.storage import MediaStore
from massdm.store import media as media_store
from massdm.store import messages as message_store
from massdm.store import vault_lists as vault_list_store
from massdm.store.db import lock
from massdm.store.media import MediaItem, StoredFile
from massdm.store.vault_lists import VaultList

UNRECOGNISED = "The file is not a recognised photo, GIF, video or audio file."


@dataclass(frozen=True)
class VaultMedia:
    """A vault item as the vault shows it: with the vault lists it is in."""

    item: MediaItem
    lists: list[VaultList]


@dataclass(frozen=True)
class Processed:
    type: MediaType
    mime: str
    width: int
    height: int
    duration: int
    files: list[StoredFile]


def _rendered_files(store: MediaStore, source: Path, base: str) -> list[StoredFile]:
    staging = store.staging_path()
    rendered = render_variants(source, staging.parent, staging.name)
    files = []
    try:
        for r in rendered:
            key = f"{base}/{r.variant}.jpg"
            size = store.put(r.path, key)
            files.append(StoredFile(r.variant, key, r.width, r.height, size))
    except BaseException:
        for r in rendered:
            r.path.unlink(missing_ok=True)
        for f in files:
            store.delete(f.storage_key)
        raise
    return files


def _describe(staged: Path, sniffed: Sniffed, tools: AvTools, store: MediaStore, base: str):  # noqa: ANN202
    """(type, width, height, duration, variant files) of a staged upload; raises ValidationFailed."""
    if sniffed.type in ("photo", "gif"):
        try:
            width, height = image_size(staged)
            return sniffed.type, width, height, 0, _rendered_files(store, staged, base)
        except NotAnImage:
            raise ValidationFailed.field(
                "file", f"{UNRECOGNISED} It looks like {sniffed.mime} but does not decode.") from None

    facts = probe(staged, tools)
    if facts is None:
        if tools.ffprobe is not None:  # a prober was there and found no playable stream
            raise ValidationFailed.field(
                "file", f"{UNRECOGNISED} It looks like {sniffed.mime} but has no playable stream.")
        return sniffed.type, 0, 0, 0, []  # degrade: typed from its bytes, facts unknown
    kind: MediaType = "video" if facts.has_video else "audio"
    files: list[StoredFile] = []
    if kind == "video":
        poster = store.staging_path().with_suffix(".jpg")
        try:
            if poster_frame(staged, poster, tools):
                files = _rendered_files(store, poster, base)
        finally:
            poster.unlink(missing_ok=True)
    return kind, facts.width, facts.height, facts.duration, files


def process_upload(store: MediaStore, tools: AvTools, staged: Path, size: int, account_id: str) -> Processed:
    """Type a staged file from its bytes, read its facts and move it, with its variants, into the store.

    On any failure every file written so far is removed again.
    """
    if size == 0:
        raise ValidationFailed.field("file", "The file is empty.")
    with staged.open("rb") as handle:
        sniffed = sniff(handle.read(SNIFF_BYTES))
    if sniffed is None:
        raise ValidationFailed.field("file", UNRECOGNISED)
    base = f"{account_id}/{secrets.token_hex(16)}"
    kind, width, height, duration, variants = _describe(staged, sniffed, tools, store, base)
    try:
        full_key = f"{base}/full.{sniffed.extension}"
        stored_size = store.put(staged, full_key)
    except BaseException:
        discard(store, variants)
        raise
    files = [StoredFile("full", full_key, width, height, stored_size), *variants]
    return Processed(kind, sniffed.mime, width, height, duration, files)


def discard(store: MediaStore, files: list[StoredFile]) -> None:
    for f in files:
        store.delete(f.storage_key)


def record_upload(
    connection: Connection,
    *,
    account_id: str,
    processed: Processed,
    size: int,
    file_name: str,
    now: datetime,
) -> MediaItem:
    """File a processed upload in the vault, inside the caller's transaction (which also charges
    for it: `domain.media.upload_cost`)."""
    media_id = media_store.insert_media(
        connection, account_id=account_id, upload_id=new_upload_id(), type=processed.type, mime=processed.mime,
        file_name=file_name, width=processed.width, height=processed.height, duration=processed.duration,
        files=processed.files, now=now,
    )
    item = media_store.get_media(connection, account_id, media_id)
    assert item is not None
    return item


def list_vault(
    connection: Connection,
    account_id: str,
    *,
    type: MediaType | None,  # noqa: A002
    limit: int,
    offset: int,
    newest_first: bool = True,
    in_list: int | None = None,
) -> tuple[list[VaultMedia], bool]:
    """A page of the vault, or of one vault list's media (404 if the account has no such list)."""
    if in_list is not None and vault_list_store.get_list(connection, account_id, in_list) is None:
        raise NotFound(f"Vault list {in_list} was not found.")
    items, has_more = media_store.page_media(
        connection, account_id, type=type, limit=limit, offset=offset, newest_first=newest_first, in_list=in_list
    )
    holding = vault_list_store.lists_holding(connection, [i.id for i in items])
    return [VaultMedia(i, holding[i.id]) for i in items], has_more


def get_vault_item(connection: Connection, account_id: str, media_id: int) -> VaultMedia:
    item = media_store.get_media(connection, account_id, media_id)
    if item is None or not item.in_vault:
        raise NotFound(f"Media {media_id} was not found in the vault.")
    return VaultMedia(item, vault_list_store.lists_holding(connection, [item.id])[item.id])


def vault_items(connection: Connection, account_id: str, media_ids: list[int]) -> list[MediaItem]:
    """These items of the account's vault, in the order asked (each once); 404 naming every id that
    is not in it (another account's, deleted, or never made)."""
    wanted = list(dict.fromkeys(media_ids))
    found = {m.id: m for m in media_store.media_by_ids(connection, account_id, wanted) if m.in_vault}
    missing = [str(m) for m in wanted if m not in found]
    if missing:
        raise NotFound(f"Media not found in the vault: {', '.join(missing)}.")
    return [found[m] for m in wanted]


def vault_lock(connection: Connection, account_id: str) -> None:
    """Serialise the writes that must agree on what the account's vault holds (deleting media,
    deleting a list, adding media to a list), so no list gains an item, and no item a list, that is
    being deleted at the same moment."""
    lock(connection, f"massdm:vault:{account_id}")


def delete_from_vault(connection: Connection, account_id: str, media_ids: list[int], now: datetime) -> list[int]:
    """Delete items from the vault and from every vault list: all of them, or none (404 naming those
    not in the vault). Messages that hold them keep them. Returns the ids deleted."""
    vault_lock(connection, account_id)
    items = vault_items(connection, account_id, media_ids)
    deleted = media_store.mark_deleted(connection, account_id, [i.id for i in items], now)
    vault_list_store.drop_media(connection, deleted)
    return deleted


def upload_status(connection: Connection, account_id: str, upload_id: str) -> MediaItem:
    """The vault item an upload made. Uploads finish before their request answers, so a known one is
    always complete; an id of another account, of media deleted since, or not of massdm's form is 404."""
    found = media_store.media_by_upload_ids(connection, account_id, [upload_id]) if is_upload_id(upload_id) else []
    if not found or not found[0].in_vault:
        raise NotFound(f"Upload {upload_id} was not found.")
    return found[0]


def attach_media(
    connection: Connection,
    account_id: str,
    refs: list[str | int],
    message_id: int,
    now: datetime,
    *,
    field: str = "mediaFiles",
) -> list[MediaItem]:
    """Resolve media references for a message, in order, and attach the upload ids among them.

    A reference is an `ofapi_media_...` upload id (usable by one message only; the message
    that holds it may name it again) or a vault id (reusable). Unknown references, uploads
    held by another message and media deleted from the vault (unless this message already
    holds it) are a 422 naming them; nothing is attached unless all are good.
    """
    uploads = [r for r in refs if isinstance(r, str) and is_upload_id(r)]
    vault_ids: list[int] = []
    bad: list[str] = []
    for ref in refs:
        if isinstance(ref, str) and is_upload_id(ref):
            continue
        vault_id = parse_db_id(ref)
        if vault_id is not None:
            vault_ids.append(vault_id)
        else:
            bad.append(str(ref))
    by_upload = {m.upload_id: m for m in media_store.media_by_upload_ids(connection, account_id, uploads)}
    by_id = {m.id: m for m in media_store.media_by_ids(connection, account_id, vault_ids)}
    bad += [u for u in uploads if u not in by_upload]
    bad += [str(v) for v in vault_ids if v not in by_id]
    if bad:
        raise ValidationFailed.field(field, f"Unknown media: {', '.join(dict.fromkeys(bad))}.")
    _refuse_deleted(connection, {**by_upload, **{str(k): v for k, v in by_id.items()}}, message_id, field)
    used = [u for u in uploads if by_upload[u].upload_claimed_by not in (None, message_id)]
    used += [u for u in dict.fromkeys(uploads) if uploads.count(u) > 1]
    if used:
        raise ValidationFailed.field(field, f"Already attached to a message (an upload id is single-use): "
                                            f"{', '.join(dict.fromkeys(used))}. Use its vault id to send it again.")
    claimed = media_store.claim_uploads(connection, account_id, uploads, message_id, now)
    if len(claimed) != len(set(uploads)):  # another message took one in the meantime
        lost = sorted(set(uploads) - set(claimed))
        raise ValidationFailed.field(field, f"Already attached to a message: {', '.join(lost)}.")
    return [by_upload[r] if isinstance(r, str) and r in by_upload else by_id[_checked_id(r)] for r in refs]


def _refuse_deleted(connection: Connection, by_ref: dict[str, MediaItem], message_id: int, field: str) -> None:
    """422 naming the references to media deleted from the vault, unless the message already holds
    that media (an edit keeping what it had)."""
    deleted = {ref: item for ref, item in by_ref.items() if not item.in_vault}
    if not deleted:
        return
    held = {media_id for media_id, _ in message_store.media_of(connection, [message_id])[message_id]}
    refused = [ref for ref, item in deleted.items() if item.id not in held]
    if refused:
        raise ValidationFailed.field(field, f"Deleted from the vault, so no longer attachable to a message: "
                                            f"{', '.join(refused)}.")


def _checked_id(ref: str | int) -> int:
    """A vault id already checked above (unknown ones were refused)."""
    media_id = parse_db_id(ref)
    assert media_id is not None
    return media_id
