"""Where media bytes live. `MediaStore` is the interface; `LocalMediaStore` keeps them in a directory.

An S3-compatible store can implement the same four operations later. Keys are chosen by
massdm (`<account>/<random>/<variant>.<ext>`), never taken from a client's file name.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Protocol


class MediaStore(Protocol):
    def staging_path(self) -> Path:
        """A fresh local path to write an incoming file to before it is accepted."""
        ...

    def put(self, source: Path, key: str) -> int:
        """Take ownership of `source` (moved, not copied) under `key`; returns its size in bytes."""
        ...

    def delete(self, key: str) -> None: ...

    def url_path(self, key: str) -> str:
        """The path (under the server's public URL) the file is served at."""
        ...


class LocalMediaStore:
    URL_PREFIX = "/media"

    def __init__(self, directory: Path) -> None:
        base = directory.expanduser().resolve()
        self.root = base / "files"  # what is served
        self.staging = base / "staging"  # incoming, not yet accepted; never served
        self.root.mkdir(parents=True, exist_ok=True)
        self.staging.mkdir(parents=True, exist_ok=True)

    def staging_path(self) -> Path:
        return self.staging / secrets.token_hex(16)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root not in path.parents:
            raise ValueError(f"media key escapes the store: {key!r}")
        return path

    def put(self, source: Path, key: str) -> int:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        return target.stat().st_size

    def delete(self, key: str) -> None:
        path = self._path(key)
        path.unlink(missing_ok=True)
        for parent in path.parents:
            if parent == self.root:
                break
            try:
                parent.rmdir()
            except OSError:
                break

    def url_path(self, key: str) -> str:
        return f"{self.URL_PREFIX}/{key}"

    def files(self) -> list[Path]:
        """Every stored and staged file; for checks that nothing was left behind."""
        return [p for p in (*self.root.rglob("*"), *self.staging.rglob("*")) if p.is_file()]
