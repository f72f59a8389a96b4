"""The seed call's shapes (docs/sandbox.md): camelCase, unknown fields refused; the profile is read by
domain.seed_profile, so the API and `massdm sandbox seed --profile` refuse the same things the same way."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt

from massdm.api.schemas.common import iso_instant
from massdm.domain import seed_profile as sp
from massdm.sandbox.seed import Seeded


class SeedIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    account: str | None = Field(default=None, description="An account this key controls; omitted: a new account.")
    fans: StrictInt = Field(default=1000, ge=0, le=sp.MAX_FANS, description="How many fans (0 to 1,000,000).")
    seed: StrictInt | None = Field(default=None, ge=0, le=sp.MAX_SEED,
                                   description="Same seed, same fans; omitted: a random one (the answer says it).")
    profile: dict[str, Any] | None = Field(default=None, description="The distributions (docs/sandbox.md); "
                                           "every field optional.")
    magic_fans: StrictBool = Field(default=False, alias="magicFans",
                                   description="Also make a few fans of each magic kind.")


class SeededListOut(BaseModel):
    id: int
    name: str
    rule: str
    users_count: int = Field(serialization_alias="usersCount")


class MagicFanOut(BaseModel):
    id: int
    username: str
    reason: str


class FanIdsOut(BaseModel):
    first: int
    last: int


class SeedOut(BaseModel):
    account: str
    account_created: bool = Field(serialization_alias="accountCreated")
    seed: int
    now: str
    fans: int
    fan_ids: FanIdsOut | None = Field(serialization_alias="fanIds")
    profile: dict[str, Any]
    lists: list[SeededListOut]
    magic_fans: list[MagicFanOut] = Field(serialization_alias="magicFans")
    seconds: float

    @classmethod
    def of(cls, seeded: Seeded) -> SeedOut:
        ids = None if seeded.first_id is None or seeded.last_id is None else \
            FanIdsOut(first=seeded.first_id, last=seeded.last_id)
        return cls(account=seeded.account_id, account_created=seeded.account_created, seed=seeded.seed,
                   now=iso_instant(seeded.now), fans=seeded.fans, fan_ids=ids,
                   profile=sp.to_document(seeded.profile),
                   lists=[SeededListOut(id=x.id, name=x.name, rule=x.rule, users_count=x.members)
                          for x in seeded.lists],
                   magic_fans=[MagicFanOut(id=m.id, username=m.username, reason=m.reason) for m in seeded.magic],
                   seconds=round(seeded.seconds, 3))
