"""The sandbox's hash: the SQL form equals the Python form on both backends, and its draws are uniform
and independent enough to decide rates by."""

from __future__ import annotations

import random
import statistics

from sqlalchemy import bindparam, literal_column, select

from massdm.domain.hashing import P, mix, unit
from massdm.store import sql_hash
from massdm.store.db import create_store_engine
from tests.backends import database_url


def test_sql_and_python_agree_on_both_backends(tmp_path):
    engine = create_store_engine(database_url(tmp_path))
    rng = random.Random(3)
    cases = [(rng.randrange(2**31), rng.randrange(2**53), rng.randrange(2**40), rng.randrange(100)) for _ in range(300)]
    cases += [(0, 0, 0, 0), (P - 1, P - 1, P - 1, P - 1), (7, 1, 2, 3)]
    with engine.connect() as connection:
        for seed, a, b, salt in cases:
            row = connection.execute(select(
                sql_hash.mix(bindparam("s", seed), bindparam("a", a), bindparam("b", b), bindparam("t", salt)),
                sql_hash.unit(bindparam("s", seed), bindparam("a", a), bindparam("b", b), bindparam("t", salt)),
            )).one()
            assert row[0] == mix(seed, a, b, salt)
            assert abs(row[1] - unit(seed, a, b, salt)) < 1e-12
        assert connection.execute(select(sql_hash.mix(7, literal_column("3"), 2, 1))).scalar() == mix(7, 3, 2, 1)
    engine.dispose()


def test_draws_are_uniform_and_streams_independent():
    fans = range(1, 100_001)
    views = [unit(7, fan, 42, 1) for fan in fans]
    buys = [unit(7, fan, 42, 2) for fan in fans]
    deciles = [0] * 10
    for u in views:
        deciles[int(u * 10)] += 1
    assert all(abs(n - 10_000) < 500 for n in deciles), deciles  # each tenth within 5%
    assert abs(statistics.mean(views) - 0.5) < 0.01
    assert abs(statistics.correlation(views, buys)) < 0.02  # another salt: another stream
    neighbours = statistics.correlation(views[:-1], views[1:])  # neighbouring fans draw apart
    assert abs(neighbours) < 0.02
    other_seed = [unit(8, fan, 42, 1) for fan in fans]
    assert abs(statistics.correlation(views, other_seed)) < 0.02
    rate = sum(u < 0.35 for u in views) / len(views)
    assert abs(rate - 0.35) < 0.01
