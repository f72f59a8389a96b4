"""Screening text for banned words (blockBannedWords), with the provider's three tiers.

`strict_ban` blocks every tier, `risky` blocks risky and replace_soften, `replace_soften`
blocks only replace_soften. The lists ship as data (massdm/data/banned_words.json) and a
deployment can replace the file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

Tier = Literal["strict_ban", "risky", "replace_soften"]
TIERS: tuple[Tier, ...] = ("strict_ban", "risky", "replace_soften")
BLOCKED_BY: dict[Tier, tuple[Tier, ...]] = {
    "strict_ban": ("strict_ban", "risky", "replace_soften"),
    "risky": ("risky", "replace_soften"),
    "replace_soften": ("replace_soften",),
}


@dataclass(frozen=True)
class BannedWords:
    words: dict[Tier, tuple[str, ...]]

    @classmethod
    def load(cls, path: Path | None = None) -> BannedWords:
        text = path.read_text("utf-8") if path else resources.files("massdm.data").joinpath(
            "banned_words.json").read_text("utf-8")
        raw = json.loads(text)
        return cls({tier: tuple(str(w).lower() for w in raw.get(tier, [])) for tier in TIERS})

    def find(self, text: str, block: Tier) -> list[str]:
        """The banned words (of the tiers `block` blocks) that occur in `text` as whole words."""
        lowered = text.lower()
        found: list[str] = []
        for tier in BLOCKED_BY[block]:
            for word in self.words[tier]:
                if re.search(r"(?<![\w])" + re.escape(word) + r"(?![\w])", lowered) and word not in found:
                    found.append(word)
        return found
