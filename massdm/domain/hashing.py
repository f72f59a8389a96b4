"""A reproducible hash of a few integers, the same in Python and in SQL (store.sql_hash), for the
sandbox's pure functions of (seed, ids): which fans a seed makes and how simulated fans behave.

`mix(seed, a, b, salt)` is an integer in [0, P): the inputs are folded into one residue modulo the
prime P (each term reduced first, so every intermediate stays below 2**63, SQLite's integers), then
squared and shifted twice, which breaks the linearity between neighbouring ids. Different `salt`s
give independent-looking streams for the same ids. It is no cryptographic hash: it is cheap in
SQL on both backends, and good enough to draw rates and delays from (tests/domain/test_hashing.py
measures its uniformity and independence).
"""

from __future__ import annotations

P = 2_147_483_629  # the largest prime below 2**31: squares of residues stay below 2**62
A, B, C, D = 1_103_515_245, 214_013, 2_531_011, 69_069  # multipliers of id, id, seed, salt
R1, R2 = 40_503, 2_654_435  # the shifts of the two squaring rounds


def mix(seed: int, a: int, b: int = 0, salt: int = 0) -> int:
    h = ((a % P) * A % P + (b % P) * B % P + (seed % P) * C % P + (salt % P) * D % P + 12_345) % P
    h = (h * h + R1) % P
    return (h * h + R2) % P


def unit(seed: int, a: int, b: int = 0, salt: int = 0) -> float:
    """`mix` as a number in [0, 1)."""
    return mix(seed, a, b, salt) / P
