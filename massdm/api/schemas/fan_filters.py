"""The targeting query of GET /fans/all|active|expired, named exactly as the official SDK sends it.

Only the bracket form is a filter (`filter[total_spent]=100`). The dot form (`filter.total_spent`,
which PHP turns into `filter_total_spent`), an unknown `filter[...]` and a filter given twice are
a 422, as is any value out of range: a filter is applied or refused, never ignored. Amounts are
USD (whole dollars for the minimums, as the SDK types them), durations months.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from massdm.domain import fan_targeting
from massdm.domain.fan_targeting import MAX_MONTHS, MAX_USD, Targeting
from massdm.domain.fans import FanStatus, listing_status
from massdm.errors import ValidationFailed

FILTER_NAMES = ("duration", "max_total_spent", "online", "tips", "total_spent")
_BRACKETS = re.compile(r"filter\[(\w+)\]")
_OTHER_FORMS = re.compile(r"filter[._](\w+)")

WholeUsd = Annotated[int, Field(ge=0, le=MAX_USD)]


class FanFilters(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    total_spent: WholeUsd | None = Field(default=None, alias="filter[total_spent]",
                                         description="Minimum total spent by the fan, whole USD.")
    max_total_spent: Annotated[Decimal, Field(ge=0, le=MAX_USD, allow_inf_nan=False)] | None = Field(
        default=None, alias="filter[max_total_spent]",
        description="Maximum total spent, USD (0: fans who never spent). Not with filter[online].")
    tips: WholeUsd | None = Field(default=None, alias="filter[tips]", description="Minimum tips, whole USD.")
    duration: Annotated[int, Field(ge=0, le=MAX_MONTHS)] | None = Field(
        default=None, alias="filter[duration]", description="Minimum months subscribed (a month is 30 days).")
    online: Annotated[int, Field(ge=0, le=1)] | None = Field(default=None, alias="filter[online]",
                                                            description="1: online fans; 0: offline fans.")
    type: Literal["active", "expired", "all"] | None = Field(
        default=None, description="Fan type; on /fans/active and /fans/expired only that type, or all.")

    def status(self, endpoint: FanStatus) -> FanStatus:
        """The fans the listing shows: the endpoint's, narrowed by `type`."""
        status = listing_status(endpoint, self.type)
        if status is None:
            raise ValidationFailed.field("type", f"/fans/{endpoint} lists {endpoint} fans only, so type={self.type} "
                                                 f"would match none; use /fans/all?type={self.type}.")
        return status

    def targeting(self, query: list[tuple[str, str]]) -> Targeting:
        """The filters as the store applies them; `query` (the request's raw query string) is checked for
        filters in any other form."""
        _check_filter_keys(query)
        if self.max_total_spent is not None and self.online is not None:
            raise ValidationFailed.field("filter[max_total_spent]",
                                         "filter[max_total_spent] cannot be combined with filter[online].")
        targeting = Targeting(
            min_spent_cents=None if self.total_spent is None else fan_targeting.at_least_cents(self.total_spent),
            max_spent_cents=None if self.max_total_spent is None else fan_targeting.at_most_cents(self.max_total_spent),
            min_tips_cents=None if self.tips is None else fan_targeting.at_least_cents(self.tips),
            min_duration=None if self.duration is None else fan_targeting.at_least_months(self.duration),
            online=None if self.online is None else self.online == 1,
        )
        low, high = targeting.min_spent_cents, targeting.max_spent_cents
        if low is not None and high is not None and low > high:
            raise ValidationFailed.field("filter[total_spent]", f"filter[total_spent] ({self.total_spent}) is above "
                                         f"filter[max_total_spent] ({self.max_total_spent}): no fan can match.")
        return targeting


def _check_filter_keys(query: list[tuple[str, str]]) -> None:
    """Every query key that starts with `filter` must be one of the filters in bracket form, once."""
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    for key, _value in query:
        if not key.startswith("filter"):
            continue
        if (bracketed := _BRACKETS.fullmatch(key)) and bracketed[1] in FILTER_NAMES:
            if key not in seen:
                seen.add(key)
                continue
            problem = "is given more than once"
        elif (other := _OTHER_FORMS.fullmatch(key)) and other[1] in FILTER_NAMES:
            problem = f"is not applied: use the bracket form, filter[{other[1]}]"
        else:
            problem = f"is not a filter; the filters are {', '.join(f'filter[{n}]' for n in FILTER_NAMES)}"
        errors.setdefault(key, []).append(f"{key} {problem}.")
    if errors:
        raise ValidationFailed(errors)
