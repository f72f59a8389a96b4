"""domain.hashing's `mix` and `unit` as SQL expressions, identical on SQLite and PostgreSQL, so a
statement can draw, per row, what the Python function would (set-based: nothing per row in Python)."""

from __future__ import annotations

from sqlalchemy import BigInteger, ColumnElement, Float, cast, literal

from massdm.domain.hashing import R1, R2, A, B, C, D, P


def _int(value: ColumnElement | int) -> ColumnElement:
    """A 64-bit integer (PostgreSQL would otherwise multiply 32-bit ones, and overflow)."""
    return cast(value, BigInteger) if isinstance(value, ColumnElement) else literal(value, BigInteger)


def mix(seed: ColumnElement | int, a: ColumnElement | int, b: ColumnElement | int = 0,
        salt: ColumnElement | int = 0) -> ColumnElement:
    """An integer in [0, P), equal to domain.hashing.mix of the same values."""
    terms = [(_int(x) % P) * k % P for x, k in ((a, A), (b, B), (seed, C), (salt, D))]
    h = (terms[0] + terms[1] + terms[2] + terms[3] + 12_345) % P
    h = (h * h + R1) % P
    return (h * h + R2) % P


def unit(seed: ColumnElement | int, a: ColumnElement | int, b: ColumnElement | int = 0,
         salt: ColumnElement | int = 0) -> ColumnElement:
    """A number in [0, 1), equal to domain.hashing.unit of the same values."""
    return cast(mix(seed, a, b, salt), Float) / P
