"""whoami and accounts: the two bare (un-enveloped) shapes of CONTRACT.md §1."""

from __future__ import annotations

from pydantic import BaseModel

from massdm.api.schemas.common import iso
from massdm.store.accounts import Account
from massdm.store.api_keys import ApiKey


class WhoamiKey(BaseModel):
    name: str
    last_used_at: str | None
    created_at: str


class WhoamiTeam(BaseModel):
    name: str
    slug: str


class Whoami(BaseModel):
    api_key: WhoamiKey
    team: WhoamiTeam

    @classmethod
    def of(cls, key: ApiKey) -> Whoami:
        return cls(
            api_key=WhoamiKey(name=key.name, last_used_at=iso(key.last_used_at), created_at=iso(key.created_at) or ""),
            team=WhoamiTeam(name=key.team_name, slug=key.team_slug),
        )


class OnlyfansUserData(BaseModel):
    id: int
    name: str
    username: str
    isPerformer: bool = True
    canReceiveChatMessage: bool = True


class AccountOut(BaseModel):
    id: str
    display_name: str
    onlyfans_id: int
    onlyfans_username: str
    onlyfans_email: str | None
    is_authenticated: bool
    authentication_progress: str
    onlyfans_user_data: OnlyfansUserData

    @classmethod
    def of(cls, account: Account) -> AccountOut:
        return cls(
            id=account.id,
            display_name=account.display_name,
            onlyfans_id=account.onlyfans_id,
            onlyfans_username=account.username,
            onlyfans_email=None,
            is_authenticated=True,
            authentication_progress="completed",
            onlyfans_user_data=OnlyfansUserData(
                id=account.onlyfans_id, name=account.display_name, username=account.username
            ),
        )
