"""Pages found from marks and counts kept by deltas equal the plain definitions, whatever happens.

A state machine writes fans (new and known ids, flags, dates and spend changing, expiries past,
future and none, ties on subscribed_at), records purchases, edits custom lists and moves the clock
across expiries, the 24-hour `recent` boundary and minimum durations (and sometimes back); after
every step the kept counts and spend must equal a count from scratch, and pages read at random
offsets, by walking offsets as the SDK does, and by jumps, of plain and targeted listings, must
equal the plain ORDER BY … OFFSET of a model. Marks are kept in a small PageMarks
(grid of 3) so that seeking, laying marks along long skips and evicting all happen at these sizes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlalchemy import Engine, event, select

from massdm.clock import ManualClock
from massdm.domain.fan_targeting import Targeting
from massdm.store import fan_pages, fan_spend, fan_tallies
from massdm.store import fans as fan_store
from massdm.store import user_lists as list_store
from massdm.store.db import create_store_engine, migrate, transaction
from massdm.store.fan_pages import Listing
from massdm.store.fans import UPDATABLE, FanRecord
from massdm.store.page_marks import PageMarks
from massdm.store.tables import fans, user_list_members
from tests.backends import ON_POSTGRES, database_url
from tests.conftest import World
from tests.store.audience_model import SYSTEM_LIST_IDS, AudienceModel

BASE = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
FAN_IDS = st.integers(min_value=1, max_value=24)
# Few distinct instants (relative to the clock when written), so fans tie on subscribed_at, and
# expiries and the 24-hour window are near enough for the clock's steps to cross them.
SUBSCRIBED = st.sampled_from([timedelta(days=-3), timedelta(hours=-25), timedelta(hours=-24), timedelta(hours=-2),
                              timedelta(0), timedelta(hours=20), timedelta(days=2)])
EXPIRES = st.one_of(st.none(), st.sampled_from(
    [timedelta(days=-2), timedelta(hours=-1), timedelta(0), timedelta(microseconds=1), timedelta(hours=1),
     timedelta(hours=23), timedelta(hours=30), timedelta(days=4)]))
CLOCK_STEPS = st.sampled_from([timedelta(0), timedelta(microseconds=1), timedelta(seconds=1), timedelta(minutes=59),
                               timedelta(hours=1), timedelta(hours=22), timedelta(hours=24), timedelta(days=2),
                               timedelta(seconds=-1)])
FILTERS = ("all", "active", "expired", *SYSTEM_LIST_IDS)
CENTS = st.sampled_from([0, 0, 1, 250, 500])
# Targeted listings: spend bounds that purchases cross, durations the clock's steps cross.
TARGETED = (("all", Targeting(min_spent_cents=500)), ("all", Targeting(max_spent_cents=0)),
            ("active", Targeting(min_spent_cents=1, max_spent_cents=750)),
            ("all", Targeting(min_tips_cents=250, online=False)), ("all", Targeting(online=True)),
            ("all", Targeting(min_duration=timedelta(hours=24))),
            ("active", Targeting(min_duration=timedelta(days=2), max_spent_cents=500)),
            ("expired", Targeting(min_duration=timedelta(hours=1))))


@st.composite
def fan_records(draw, now: datetime) -> FanRecord:
    fan_id = draw(FAN_IDS)
    expires = draw(EXPIRES)
    return FanRecord(
        id=fan_id,
        username=f"fan{fan_id}",
        name=draw(st.sampled_from([f"Fan {fan_id}", "Ann", "Bob"])),
        subscribed_at=now + draw(SUBSCRIBED),
        expires_at=None if expires is None else now + expires,
        auto_renew=draw(st.booleans()),
        following=draw(st.booleans()),
        muted=draw(st.booleans()),
        tagged=draw(st.booleans()),
        friend=draw(st.booleans()),
        online=draw(st.booleans()),
        tips_cents=draw(CENTS),
        subscriptions_cents=draw(CENTS),
        provided=draw(st.one_of(st.just(frozenset(UPDATABLE)),
                                st.frozensets(st.sampled_from(UPDATABLE)).map(lambda p: p | {"username"}))),
    )


class AudienceMachine(RuleBasedStateMachine):
    engine: Engine

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(BASE)
        world = World(self.engine, self.clock)
        self.account = world.account(world.team())
        self.model = AudienceModel()
        self.marks = PageMarks(grid=3, recent=4, capacity=40)
        self.narrow = fan_pages.NARROW  # these few fans are always a narrow range: 0 reads them through the marks

    @rule()
    def switch_plans(self) -> None:
        self.narrow = 0 if self.narrow else fan_pages.NARROW

    # --- writes ---------------------------------------------------------------------------

    @rule(data=st.data())
    def upsert_fans(self, data: st.DataObject) -> None:
        records = data.draw(st.lists(fan_records(self.clock.now()), min_size=1, max_size=8))
        with transaction(self.engine) as connection:
            created, updated = fan_store.upsert_fans(connection, self.account, records, self.clock.now())
        known = set(self.model.fans)
        ids = {r.id for r in records}
        assert (created, updated) == (len(ids - known), len(ids & known))
        self.model.upsert(records)

    @precondition(lambda self: self.model.fans)
    @rule(data=st.data())
    def buy(self, data: st.DataObject) -> None:
        bought = data.draw(st.dictionaries(st.sampled_from(sorted(self.model.fans)), st.sampled_from([1, 250, 499]),
                                           min_size=1, max_size=3))
        with transaction(self.engine) as connection:
            fan_spend.add_purchases(connection, {(self.account, f): fan_spend.Spend(cents, BASE)
                                                  for f, cents in bought.items()})
        for fan_id, cents in bought.items():
            self.model.buy(fan_id, cents)

    @rule()
    def create_list(self) -> None:
        with transaction(self.engine) as connection:
            custom = list_store.create_list(connection, self.account, "list", self.clock.now())
        self.model.lists[custom.id] = set()

    @precondition(lambda self: self.model.lists)
    @rule(data=st.data())
    def add_members(self, data: st.DataObject) -> None:
        list_id = data.draw(st.sampled_from(sorted(self.model.lists)))
        wanted = data.draw(st.lists(FAN_IDS, max_size=10))
        known = [f for f in wanted if f in self.model.fans]
        with transaction(self.engine) as connection:
            added = list_store.add_members(connection, list_id, self.account, known, self.clock.now())
        assert added == len(set(known) - self.model.lists[list_id])
        self.model.lists[list_id] |= set(known)

    @precondition(lambda self: self.model.lists)
    @rule(data=st.data())
    def remove_member(self, data: st.DataObject) -> None:
        list_id = data.draw(st.sampled_from(sorted(self.model.lists)))
        fan_id = data.draw(FAN_IDS)
        with transaction(self.engine) as connection:
            removed = list_store.remove_member(connection, self.account, list_id, fan_id)
        assert removed == (fan_id in self.model.lists[list_id])
        self.model.lists[list_id].discard(fan_id)

    @precondition(lambda self: self.model.lists)
    @rule(data=st.data(), delete=st.booleans())
    def clear_or_delete_list(self, data: st.DataObject, delete: bool) -> None:
        list_id = data.draw(st.sampled_from(sorted(self.model.lists)))
        with transaction(self.engine) as connection:
            if delete:
                list_store.delete_list(connection, self.account, list_id)
                del self.model.lists[list_id]
            else:
                list_store.clear_members(connection, self.account, list_id)
                self.model.lists[list_id] = set()

    @rule(step=CLOCK_STEPS)
    def move_the_clock(self, step: timedelta) -> None:
        self.clock.advance(step)

    # --- reads ----------------------------------------------------------------------------

    def _listings(self) -> st.SearchStrategy[Listing]:
        fixed = [Listing(self.account, f) for f in FILTERS if f != "fans"]
        fixed += [Listing.of_system_list(self.account, "fans"), Listing(self.account, query="1"),
                  Listing(self.account, "active", query="AN")]
        fixed += [Listing(self.account, status, targeting=targeting) for status, targeting in TARGETED]
        return st.sampled_from(fixed + [Listing(self.account, members_of=i) for i in sorted(self.model.lists)])

    def _check_page(self, listing: Listing, offset: int, limit: int) -> bool:
        now = self.clock.now()
        with transaction(self.engine) as connection:
            fans, has_more = fan_pages.page_listing(connection, listing, offset=offset, limit=limit, now=now,
                                                    system_list_ids=SYSTEM_LIST_IDS, marks=self.marks,
                                                    narrow=self.narrow)
        expected, expected_more = self.model.page(listing, now, offset, limit)
        assert [f.id for f in fans] == expected, (listing, offset, limit)
        assert has_more == expected_more, (listing, offset, limit)
        for fan in fans:
            assert fan.system_lists == self.model.system_lists_of(fan.id, now)
        return has_more

    @rule(data=st.data(), reads=st.lists(st.tuples(st.integers(0, 30), st.integers(1, 6)), min_size=1, max_size=6))
    def read_pages(self, data: st.DataObject, reads: list[tuple[int, int]]) -> None:
        listing = data.draw(self._listings())
        for offset, limit in reads:
            self._check_page(listing, offset, limit)

    @rule(data=st.data(), limit=st.integers(min_value=1, max_value=5),
          jumps=st.lists(st.integers(0, 30), max_size=4))
    def walk_then_jump(self, data: st.DataObject, limit: int, jumps: list[int]) -> None:
        listing = data.draw(self._listings())
        offset = 0
        while self._check_page(listing, offset, limit):
            offset += limit
        for jump in jumps:
            self._check_page(listing, jump, limit)

    @rule(data=st.data(), limit=st.integers(min_value=1, max_value=4), pages=st.integers(1, 4), step=CLOCK_STEPS)
    def walk_while_time_passes(self, data: st.DataObject, limit: int, pages: int, step: timedelta) -> None:
        """Marks made before the clock moves are used after it: they hold only if no fan before them crossed."""
        listing = data.draw(self._listings())
        offset = 0
        for _ in range(pages):
            if not self._check_page(listing, offset, limit):
                break
            offset += limit
        self.clock.advance(step)
        while self._check_page(listing, offset, limit):
            offset += limit
        self._check_page(listing, limit, limit)

    @precondition(lambda self: self.model.fans)
    @rule(data=st.data(), limit=st.integers(min_value=1, max_value=3), pages=st.integers(1, 4))
    def walk_while_fans_buy(self, data: st.DataObject, limit: int, pages: int) -> None:
        """Marks made before purchases are used after them: a listing by total spend must not trust them."""
        self.narrow = 0
        status, targeting = data.draw(st.sampled_from([t for t in TARGETED if t[1].reads_spend]))
        listing = Listing(self.account, status, targeting=targeting)
        offset = 0
        for _ in range(pages):
            if not self._check_page(listing, offset, limit):
                break
            offset += limit
        self.buy(data)
        while self._check_page(listing, offset, limit):
            offset += limit
        self._check_page(listing, limit, limit)

    # --- kept counts ----------------------------------------------------------------------

    @invariant()
    def counts_equal_a_count_from_scratch(self) -> None:
        now = self.clock.now()
        with transaction(self.engine) as connection:
            assert fan_tallies.system_list_counts(connection, self.account, now) == self.model.counts(now)
            for list_id, members in self.model.lists.items():
                assert list_store.get_list(connection, self.account, list_id).member_count == len(members)
                copied = dict(connection.execute(
                    select(user_list_members.c.fan_id, user_list_members.c.subscribed_at)
                    .where(user_list_members.c.list_id == list_id)).all())
                assert copied == {f: self.model.fans[f].subscribed_at for f in members}

    @invariant()
    def spend_and_terms_equal_the_model(self) -> None:
        with transaction(self.engine) as connection:
            rows = connection.execute(select(fans.c.id, fans.c.purchases_cents, fans.c.tips_cents,
                                             fans.c.subscriptions_cents, fans.c.total_spent_cents, fans.c.term_seconds,
                                             fans.c.online).where(fans.c.account_id == self.account)).all()
        assert {r.id: tuple(r)[1:] for r in rows} == {
            f.id: (f.purchases_cents, f.tips_cents, f.subscriptions_cents, f.total_spent_cents,
                   None if f.expires_at is None else (f.expires_at - f.subscribed_at) // timedelta(seconds=1), f.online)
            for f in self.model.fans.values()}

    @invariant()
    def marks_stay_within_their_bound(self) -> None:
        assert len(self.marks) <= self.marks.capacity + self.marks.recent + self.marks.capacity // 2


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = create_store_engine(database_url(tmp_path_factory.mktemp("fan-pages")))
    migrate(engine)
    return engine


def test_pages_and_counts_equal_their_definitions_through_any_history(engine):
    AudienceMachine.engine = engine
    run_state_machine_as_test(
        AudienceMachine,
        settings=settings(max_examples=25, stateful_step_count=30, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow]),
    )


def test_recount_rebuilds_what_the_deltas_kept(engine):
    """After fans written behind the tallies' back (raw SQL, as bench/harness.py does), recount sets them right."""
    clock = ManualClock(BASE)
    world = World(engine, clock)
    account = world.account(world.team())
    records = [FanRecord(id=i, username=f"fan{i}", name=f"Fan {i}", subscribed_at=BASE - timedelta(hours=i),
                         expires_at=None if i % 3 else BASE + timedelta(hours=i - 20), auto_renew=i % 2 == 0,
                         following=i % 5 == 0, muted=i % 7 == 0, tagged=i % 4 == 0, friend=i % 6 == 0)
               for i in range(1, 41)]
    model = AudienceModel()
    model.upsert(records)
    with transaction(engine) as connection:
        connection.execute(fan_store.fans.insert(), [
            {"account_id": account, "created_at": BASE, "updated_at": BASE,
             **{name: getattr(r, name) for name in ("id", *UPDATABLE)}} for r in records
        ])
        before = fan_tallies.system_list_counts(connection, account, BASE)
        fan_tallies.recount(connection, account)
        after = fan_tallies.system_list_counts(connection, account, BASE)
        later = fan_tallies.system_list_counts(connection, account, BASE + timedelta(hours=12))
    assert before != model.counts(BASE)  # the raw rows were not counted
    assert after == model.counts(BASE)
    assert later == model.counts(BASE + timedelta(hours=12))


# --- marks and the clock, case by case ------------------------------------------------------


def _fan(fan_id: int, subscribed: datetime, expires: datetime | None = None) -> FanRecord:
    return FanRecord(id=fan_id, username=f"fan{fan_id}", name=f"Fan {fan_id}", subscribed_at=subscribed,
                     expires_at=expires, auto_renew=True, following=False, muted=False, tagged=False, friend=False)


@pytest.fixture
def account(engine) -> str:
    world = World(engine, ManualClock(BASE))
    return world.account(world.team())


def _ids(engine, listing: Listing, offset: int, limit: int, now: datetime, marks: PageMarks) -> list[int]:
    with transaction(engine) as connection:  # narrow=0: through the marks, however few the fans
        fans, _ = fan_pages.page_listing(connection, listing, offset=offset, limit=limit, now=now, marks=marks,
                                         narrow=0)
    return [f.id for f in fans]


def _write(engine, account: str, *records: FanRecord) -> None:
    with transaction(engine) as connection:
        fan_store.upsert_fans(connection, account, list(records), BASE)


def test_a_mark_is_not_used_once_a_fan_before_it_has_expired(engine, account):
    _write(engine, account, _fan(1, BASE - timedelta(hours=1), BASE + timedelta(hours=1)),
           _fan(2, BASE - timedelta(hours=2)), _fan(3, BASE - timedelta(hours=3)))
    marks, active = PageMarks(), Listing(account, "active")
    assert [_ids(engine, active, n, 1, BASE, marks) for n in range(3)] == [[1], [2], [3]]
    later = BASE + timedelta(hours=2)  # fan 1 has left the active fans: position 1 is now fan 3
    assert _ids(engine, active, 1, 1, later, marks) == [3]
    assert _ids(engine, Listing(account, "expired"), 0, 5, later, marks) == [1]


def test_a_mark_still_holds_when_only_fans_after_it_change_with_time(engine, account):
    _write(engine, account, _fan(1, BASE - timedelta(hours=1)), _fan(2, BASE - timedelta(hours=2)),
           _fan(3, BASE - timedelta(hours=3), BASE + timedelta(hours=1)), _fan(4, BASE - timedelta(hours=4)))
    marks, active = PageMarks(), Listing(account, "active")
    assert _ids(engine, active, 0, 2, BASE, marks) == [1, 2]
    later = BASE + timedelta(hours=2)
    assert _ids(engine, active, 2, 2, later, marks) == [4]  # fan 3 expired after the mark: it holds
    assert marks.nearest((fan_pages.database_of(engine), active), (1, 0), 2).at == later  # checked up to now


def test_recent_fans_leave_by_expiring_and_by_ageing_and_pages_follow(engine, account):
    _write(engine, account, _fan(1, BASE - timedelta(hours=1), BASE + timedelta(minutes=30)),
           _fan(2, BASE - timedelta(hours=2)), _fan(3, BASE - timedelta(hours=3)), _fan(4, BASE - timedelta(hours=23)))
    marks, recent = PageMarks(), Listing.of_system_list(account, "recent")
    assert [_ids(engine, recent, n, 1, BASE, marks) for n in range(4)] == [[1], [2], [3], [4]]
    later = BASE + timedelta(hours=1, minutes=10)  # fan 1 has expired, fan 4 is older than 24 hours
    assert _ids(engine, recent, 1, 1, later, marks) == [3]
    assert _ids(engine, recent, 2, 1, later, marks) == []
    assert _ids(engine, recent, 0, 5, later, marks) == [2, 3]


def test_a_mark_is_not_used_once_a_fan_before_it_has_lasted_the_minimum_duration(engine, account):
    _write(engine, account, *(_fan(i, BASE - timedelta(hours=h)) for i, h in ((1, 23), (2, 25), (3, 26), (4, 27))))
    marks, lasting = PageMarks(), Listing(account, targeting=Targeting(min_duration=timedelta(hours=24)))
    assert [_ids(engine, lasting, n, 1, BASE, marks) for n in range(3)] == [[2], [3], [4]]
    later = BASE + timedelta(hours=2)  # fan 1 has lasted 25 hours: it comes first now
    assert _ids(engine, lasting, 1, 1, later, marks) == [2]
    assert _ids(engine, lasting, 0, 5, later, marks) == [1, 2, 3, 4]


def test_a_purchase_voids_the_marks_of_spend_listings_only(engine, account):
    _write(engine, account, *(_fan(i, BASE - timedelta(minutes=i)) for i in range(1, 6)))
    marks, never, everyone = PageMarks(), Listing(account, targeting=Targeting(max_spent_cents=0)), Listing(account)
    assert [_ids(engine, never, n, 2, BASE, marks) for n in (0, 2)] == [[1, 2], [3, 4]]
    assert _ids(engine, everyone, 2, 2, BASE, marks) == [3, 4]
    with transaction(engine) as connection:
        fan_spend.add_purchases(connection, {(account, 2): fan_spend.Spend(300, BASE)})
    assert _ids(engine, never, 2, 2, BASE, marks) == [4, 5]  # fan 2 has spent: everyone after it moved up
    scope = (fan_pages.database_of(engine), everyone)
    assert marks.nearest(scope, (1, 0), 4) is not None  # the plain listing's marks are still good
    assert _ids(engine, everyone, 2, 2, BASE, marks) == [3, 4]


def test_a_clock_that_went_back_voids_the_marks(engine, account):
    _write(engine, account, _fan(1, BASE - timedelta(hours=1), BASE - timedelta(minutes=30)),
           _fan(2, BASE - timedelta(hours=2)), _fan(3, BASE - timedelta(hours=3)))
    marks, active = PageMarks(), Listing(account, "active")
    assert [_ids(engine, active, n, 1, BASE, marks) for n in range(2)] == [[2], [3]]
    earlier = BASE - timedelta(hours=1)  # fan 1 was still active then
    assert _ids(engine, active, 1, 1, earlier, marks) == [2]


def test_a_write_voids_every_mark_of_the_account(engine, account):
    _write(engine, account, *(_fan(i, BASE - timedelta(minutes=i)) for i in range(1, 7)))
    marks, everyone = PageMarks(), Listing(account)
    assert _ids(engine, everyone, 0, 3, BASE, marks) == [1, 2, 3]
    _write(engine, account, _fan(9, BASE))  # the newest: everyone moves one down
    assert _ids(engine, everyone, 3, 3, BASE, marks) == [3, 4, 5]


def test_a_change_committed_while_a_page_is_read_never_meets_marks_of_other_rows(engine, account):
    """A write commits between the page's first statement (the version) and its rows.

    In a snapshot (SQLite's read transactions) the page is the one from before; at READ COMMITTED
    (PostgreSQL) the rows are read after the write, so the marks (made before it) must not be used
    with them: the page is the one from after. Never the mixture of old positions and new rows.
    """
    _write(engine, account, *(_fan(i, BASE - timedelta(minutes=i)) for i in range(1, 21)))
    marks, everyone = PageMarks(), Listing(account)
    assert _ids(engine, everyone, 0, 5, BASE, marks) == [1, 2, 3, 4, 5]
    assert _ids(engine, everyone, 5, 5, BASE, marks) == [6, 7, 8, 9, 10]  # marks position 10: after fan 10

    reader = engine.connect().execution_options(massdm_read_only=True)
    written = False

    def write_meanwhile(_connection, _cursor, statement: str, *_rest: object) -> None:
        nonlocal written
        if statement.startswith("SELECT fans.id") and not written:  # just before the page's rows are read
            written = True  # one new fan before the mark, one right after it
            _write(engine, account, _fan(100, BASE), _fan(101, BASE - timedelta(minutes=10, seconds=30)))

    event.listen(reader, "before_cursor_execute", write_meanwhile)
    with reader.begin():
        fans, _ = fan_pages.page_listing(reader, everyone, offset=10, limit=5, now=BASE, marks=marks)
    reader.close()
    assert written
    before, after, mixture = [11, 12, 13, 14, 15], [10, 101, 11, 12, 13], [101, 11, 12, 13, 14]
    assert [f.id for f in fans] == (after if ON_POSTGRES else before)
    assert [f.id for f in fans] != mixture
    assert _ids(engine, everyone, 10, 5, BASE, marks) == after
