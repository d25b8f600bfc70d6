"""One chunk of the data set: registry, records and truth for a run of records.

The registry holds the record owners plus household members and a few others, about 1.3 rows
per record. Numbers are a bijection of a global person index, and bank accounts, business keys
and record ids of the global record index, so they stay unique across the chunks of
:func:`caseflow_synthetic.files.write_dataset`. The few per-row Python loops (the small
corrupted shares) use ``random.Random`` seeded with a string.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from caseflow.core.mynumber import CHECK_DIGIT_WEIGHTS, check_digit
from caseflow_synthetic.addresses import ADDRESS_COMPONENTS, address_text, number_with_typo, with_address
from caseflow_synthetic.frames import gather, scatter
from caseflow_synthetic.households import PERSON_COLUMNS, make_households, make_persons
from caseflow_synthetic.names import (
    GIVEN_KANA,
    NAME_SPACE,
    SURNAME_KANA,
    SURNAMES,
    given_text,
    kana_with_typo,
    surname_text,
)
from caseflow_synthetic.notation import apply_notation
from caseflow_synthetic.randomness import STREAM, Draw, affine, below, shuffled_index, stream_key, uniform
from caseflow_synthetic.scenarios import (
    CONSTRAINED,
    PAIRED,
    SCENARIOS,
    WRONG_LINKAGE,
    normalised_shares,
    scenario_counts,
)

_NUMBER_SPACE = 10**11  # first 11 digits of a My Number
_ACCOUNT_SPACE = 10**10  # branch (3) + account (7)
_BUSINESS_KEY_SPACE = 10**10
_BANK_CODES = ("0001", "0005", "0009", "0010", "0017", "0033", "0036", "0116", "0149", "0158", "0179",
               "0288", "1251", "2004", "9900")
_BANK_CODE_SERIES = pl.Series(_BANK_CODES)


@dataclass
class Chunk:
    """A chunk's frames, and how many registry rows it made (the next chunk's person offset)."""

    registry: pl.DataFrame | None  # None when handed to ``on_registry``
    registry_rows: int
    records: pl.DataFrame
    truth: pl.DataFrame


class _Shortage(Exception):
    """Not enough registry persons with a property; retried with more households."""


def generate(n: int, *, seed: int = 0, mix: dict[str, float] | None = None
             ) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Registry, records and truth for ``n`` business records (one chunk, in memory).

    ``mix`` maps scenario names (keys of :data:`SCENARIOS`) to shares; shares are
    normalised, missing scenarios get none. Birth dates are ``pl.Date``; registry sex is
    "1"/"2", record sex "男"/"女" (null when not collected); My Numbers are strings.
    The same ``seed`` and ``mix`` always give the same frames; ``write_dataset`` with
    ``chunk_size >= n`` writes exactly these frames.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    chunk = generate_chunk(n, seed=seed, shares=normalised_shares(mix), chunk=0, record_offset=0, person_offset=0)
    return chunk.registry, chunk.records, chunk.truth


def generate_chunk(n: int, *, seed: int, shares: dict[str, float], chunk: int, record_offset: int,
                   person_offset: int, on_registry: Callable[[pl.DataFrame], None] | None = None) -> Chunk:
    """One chunk; ``on_registry`` takes the registry as soon as it is built (to write and free it)."""
    counts = scenario_counts(n, shares)
    factor = 0.53
    for attempt in range(12):
        try:
            return _build_chunk(n, counts, seed=seed, chunk=chunk, record_offset=record_offset,
                                person_offset=person_offset, factor=factor, attempt=attempt,
                                on_registry=on_registry)
        except _Shortage:
            factor *= 1.6
    raise ValueError("the scenario mix asks for more special persons than the registry can hold")


def _build_chunk(n: int, counts: dict[str, int], *, seed: int, chunk: int, record_offset: int,
                 person_offset: int, factor: float, attempt: int,
                 on_registry: Callable[[pl.DataFrame], None] | None) -> Chunk:
    key = stream_key(seed, chunk, attempt)

    def k(name: str, j: int = 0) -> int:
        return stream_key(key, STREAM[name], j)

    # --- registry: households and persons ------------------------------------------------------
    h = math.ceil(n * factor) + 8
    twins = min(h, counts["twin"] + math.ceil(h * 0.004))
    persons = make_persons(make_households(h, twins, key), key)
    p = persons.height
    n_doppel = counts["same_name_other_person"]
    # Numbers: an affine bijection of the global person index (shuffled within the chunk).
    a, b = affine(_NUMBER_SPACE, seed, 1)
    core = ((shuffled_index(p + n_doppel, k("number")) + person_offset) * a + b) % _NUMBER_SPACE
    owners = _choose_owners(persons, core, counts, key)
    rec = persons.select(pl.all().gather(owners.get_column("pid"))).with_columns(
        owners.get_column("scenario"), pl.int_range(0, pl.len(), dtype=pl.Int64).alias("i"))
    scen = pl.col("scenario")

    # Look-alike persons for same_name_other_person: same name, kana, birth date and sex,
    # another address; appended to the registry.
    doppel = rec.filter(scen == "same_name_other_person")
    if doppel.height:
        fresh = with_address(doppel.select(pl.int_range(0, pl.len(), dtype=pl.Int64).alias("j")), "j", k("doppel"))
        same = fresh.select(pl.struct(ADDRESS_COMPONENTS)).to_series() == \
            doppel.select(pl.struct(ADDRESS_COMPONENTS)).to_series()
        fresh = fresh.with_columns(pl.when(same).then(pl.col("go") % 30 + 1).otherwise("go").alias("go"))
        doppel = doppel.with_columns(
            pl.int_range(p, p + pl.len(), dtype=pl.Int32).alias("pid"),
            pl.int_range(h, h + pl.len(), dtype=pl.Int32).alias("hid"),
            pl.lit(0, pl.Int8).alias("pos"), pl.lit(1, pl.Int8).alias("size"),
            pl.int_range(p, p + pl.len(), dtype=pl.Int32).alias("hstart"), pl.lit(False).alias("is_twin"),
            *[fresh.get_column(c) for c in ADDRESS_COMPONENTS],
        ).with_columns(address_text().alias("address"))
        persons = pl.concat([persons, doppel.select(PERSON_COLUMNS)])
    numbers = _number_texts(core)
    registry = persons.select(
        numbers, "name", "name_kana", pl.col("birth").cast(pl.Date).alias("birth_date"),
        pl.col("sex").cast(pl.String), "address",
    )
    births = persons.get_column("birth")
    registry_rows = persons.height
    del persons
    if on_registry is not None:
        on_registry(registry)
        registry = None

    # --- records: the registered number --------------------------------------------------------
    rng = random.Random(f"caseflow-synthetic/{seed}/{chunk}/{attempt}")
    size = pl.col("size").cast(pl.Int64)
    pos = pl.col("pos").cast(pl.Int64)
    hstart = pl.col("hstart").cast(pl.Int64)
    fam_pos = (pos + 1 + below(uniform("i", k("family")), pl.max_horizontal(size - 1, pl.lit(1, pl.Int64)))) % size
    rec = rec.with_columns(
        pl.when(scen == "family_member").then(hstart + fam_pos)
        .when(scen == "twin").then(hstart + 5 - pos)  # twins are children 0 and 1: positions 2 and 3
        .when(scen == "swapped_number")
        .then(pl.when(pl.col("i") > 0).then(pl.col("pid").shift(1)).otherwise(pl.col("pid").shift(-1)))
        .otherwise(pl.col("pid")).cast(pl.Int64).alias("num_pid"),
    )
    # A family member is never the person's twin (another birth date): fall back to the head.
    rec = rec.with_columns(
        pl.when((scen == "family_member") & (pl.lit(births).gather(pl.col("num_pid")) == pl.col("birth")))
        .then(hstart).otherwise("num_pid").alias("num_pid"),
    )
    rec = scatter(rec, doppel.get_column("i") if n_doppel else [],
                  {"num_pid": pl.int_range(p, p + n_doppel, eager=True, dtype=pl.Int64)})
    other = rec.filter(scen == "other_person").select("i", "hstart", "size").rows()
    picks = []
    for _i, first, members in other:  # a random person of another household
        j = rng.randrange(p - members)
        picks.append(j + members if j >= first else j)
    rec = scatter(rec, [r[0] for r in other], {"num_pid": picks})

    # Pairs of records of different people (different surname and address).
    pairs: dict[str, list[tuple[int, int]]] = {}
    leftovers: list[int] = []
    for scenario in PAIRED:
        rows = rec.filter(scen == scenario).select("i", "sur", "hid", "address").rows()
        pairs[scenario], left = _pair_up(rows, rng)
        leftovers += left
    rec = scatter(rec, leftovers, {"scenario": "exact"})
    wrong_side = [(second, first) if rng.random() < 0.5 else (first, second)
                  for first, second in pairs["duplicate_number"]]  # (wrong, right)
    owner_pid = rec.get_column("pid")
    rec = rec.with_columns(pl.lit(False).alias("wrong_side"))
    rec = scatter(rec, [w for w, _ in wrong_side], {"num_pid": [owner_pid[r] for _, r in wrong_side],
                                                    "wrong_side": True})

    rec = rec.with_columns(pl.lit(numbers).gather(pl.col("num_pid")).alias("my_number"))
    bad = rec.filter(scen == "invalid_check_digit").select("i", "my_number").rows()
    rec = scatter(rec, [r[0] for r in bad], {"my_number": [
        num[:11] + str((check_digit(num[:11]) + 1 + rng.randrange(9)) % 10) for _, num in bad]})
    rec = rec.with_columns(
        pl.when(scen == "leading_zero_lost").then(pl.col("my_number").str.slice(1)).otherwise("my_number")
        .alias("my_number"),
        pl.when(scen == "date_transposed")
        .then(pl.date(pl.col("birth").cast(pl.Date).dt.year(), pl.col("birth").cast(pl.Date).dt.day(),
                      pl.col("birth").cast(pl.Date).dt.month()))
        .otherwise(pl.col("birth").cast(pl.Date)).alias("birth_date"),
    )

    # --- records: the facts as the agency holds them -------------------------------------------
    # Unreported surname change: the record keeps the old surname.
    changed = rec.filter(scen == "surname_change")
    if changed.height:
        old = (pl.col("sur").cast(pl.Int64) + 1 + below(uniform("i", k("surname_change")), len(SURNAMES.kana) - 1)) \
            % len(SURNAMES.kana)
        changed = changed.with_columns(old.alias("old"), pl.lit(0, pl.Int64).alias("old_form")).select(
            "i",
            pl.concat_str([surname_text("old", "old_form"), pl.lit(NAME_SPACE), given_text("given", "given_form")])
            .alias("name"),
            pl.concat_str([gather(SURNAME_KANA, pl.col("old")), pl.lit(NAME_SPACE),
                           gather(GIVEN_KANA, pl.col("given").cast(pl.Int64))]).alias("name_kana"),
        )
        rec = scatter(rec, changed.get_column("i"), {c: changed.get_column(c) for c in ("name", "name_kana")})
    # Unreported move: the record keeps the old address.
    moved = rec.filter(scen == "move")
    if moved.height:
        old = with_address(moved.select("i"), "i", k("move"))
        old = old.with_columns(
            pl.when(pl.struct(ADDRESS_COMPONENTS) == moved.select(pl.struct(ADDRESS_COMPONENTS)).to_series())
            .then(pl.col("go") % 30 + 1).otherwise("go").alias("go"))
        old = old.with_columns(address_text().alias("address"))
        rec = scatter(rec, old.get_column("i"), {"address": old.get_column("address")})
    # One digit of the house number changed.
    typo = rec.filter(scen == "typo_address")
    if typo.height:
        typo = typo.with_columns(pl.Series("go", [number_with_typo(go, rng) for go in typo.get_column("go")],
                                           dtype=pl.Int8))
        typo = typo.with_columns(address_text().alias("address"))
        rec = scatter(rec, typo.get_column("i"), {"address": typo.get_column("address")})
    typo_kana = rec.filter(scen == "typo_kana").select("i", "name_kana").rows()
    rec = scatter(rec, [r[0] for r in typo_kana], {"name_kana": [kana_with_typo(kn, rng) for _, kn in typo_kana]})
    rec = apply_notation(rec, k("notation"))

    # Bank account and business key: bijections of the global record index (shuffled within
    # the chunk so neighbouring records do not get neighbouring values), hence unique.
    acc_a, acc_b = affine(_ACCOUNT_SPACE, seed, 2)
    key_a, key_b = affine(_BUSINESS_KEY_SPACE, seed, 3)
    g = pl.col("i") + record_offset
    rec = rec.with_columns((shuffled_index(rec.height, k("business_key")) + record_offset).alias("mixed"),
                           uniform(g, stream_key(seed, STREAM["account"])).alias("_acc"))
    draw = Draw("_acc")
    rec = rec.with_columns(
        ((pl.col("mixed") * acc_a + acc_b) % _ACCOUNT_SPACE + _ACCOUNT_SPACE).cast(pl.String).alias("_digits"),
        ((draw.below(100) < 75) | (scen == "shared_bank_account")).alias("_has_account"),
        draw.below(len(_BANK_CODES)).alias("_bank"),
    )
    rec = rec.with_columns(
        pl.when(pl.col("_has_account"))
        .then(pl.concat_str([gather(_BANK_CODE_SERIES, pl.col("_bank")), pl.lit("-"), pl.col("_digits").str.slice(1, 3),
                             pl.lit("-"), pl.col("_digits").str.slice(4)]))
        .otherwise(None).alias("bank_account"),
        ((pl.col("mixed") * key_a + key_b) % _BUSINESS_KEY_SPACE + _BUSINESS_KEY_SPACE).cast(pl.String).str.slice(1)
        .alias("business_key"),
        pl.concat_str([pl.lit("R"), (g + 1 + 10**9).cast(pl.String).str.slice(1)]).alias("record_id"),
    )
    accounts, keys = rec.get_column("bank_account"), rec.get_column("business_key")
    shared, dup_keys = pairs["shared_bank_account"], pairs["duplicate_business_key"]
    rec = scatter(rec, [s for _, s in shared], {"bank_account": [accounts[f] for f, _ in shared]})
    rec = scatter(rec, [s for _, s in dup_keys], {"business_key": [keys[f] for f, _ in dup_keys]})

    records = rec.select(
        "record_id", "my_number", "name",
        pl.when(scen == "kana_not_collected").then(None).otherwise("name_kana").alias("name_kana"),
        "birth_date",
        pl.when(scen == "sex_not_collected").then(None)
        .otherwise(pl.when(pl.col("sex") == 1).then(pl.lit("男")).otherwise(pl.lit("女"))).alias("sex"),
        "address", "bank_account", "business_key",
    )
    truth = rec.select(
        "record_id", "scenario",
        (~(scen.is_in(list(WRONG_LINKAGE)) | pl.col("wrong_side"))).alias("same_person"),
    )
    return Chunk(registry, registry_rows, records, truth)


def _number_texts(core: pl.Series) -> pl.Series:
    """12-digit My Numbers from their first 11 digits (as integers): check digit appended."""
    frame = core.to_frame("core").with_columns(
        (pl.sum_horizontal([((pl.col("core") // 10 ** (10 - i)) % 10) * w for i, w in enumerate(CHECK_DIGIT_WEIGHTS)]) % 11)
        .alias("r"))
    digit = pl.when(pl.col("r") <= 1).then(0).otherwise(11 - pl.col("r"))
    return frame.select((pl.col("core") * 10 + digit + 10**12).cast(pl.String).str.slice(1).alias("my_number")) \
        .to_series()


def _choose_owners(persons: pl.DataFrame, core: pl.Series, counts: dict[str, int], key: int) -> pl.DataFrame:
    """One distinct registry person per record, with the property its scenario needs; random order."""
    day = pl.col("birth").cast(pl.Date).dt.day()
    ranked = persons.select(
        "pid",
        uniform("pid", stream_key(key, STREAM["rank"])).alias("rk"),
        pl.col("is_twin").alias("twin"),
        (core.head(persons.height) < _NUMBER_SPACE // 10).alias("leading_zero_lost"),
        ((day <= 12) & (day != pl.col("birth").cast(pl.Date).dt.month()) & ~pl.col("is_twin"))
        .alias("date_transposed"),
        (pl.col("size") >= 2).alias("family_member"),
    )
    taken = pl.Series("taken", [False], dtype=pl.Boolean).extend_constant(False, persons.height - 1)
    parts = []
    for scenario in CONSTRAINED:
        need = counts.get(scenario, 0)
        if not need:
            continue
        chosen = ranked.filter(pl.col(scenario) & ~taken).bottom_k(need, by="rk").get_column("pid")
        if chosen.len() < need:
            raise _Shortage(scenario)
        taken = taken.scatter(chosen, True)
        parts.append(pl.DataFrame({"pid": chosen, "scenario": pl.Series([scenario]).extend_constant(scenario,
                                                                                                   need - 1)}))
    rest = [s for s in SCENARIOS if s not in CONSTRAINED and counts.get(s, 0)]
    need = sum(counts[s] for s in rest)
    chosen = ranked.filter(~taken).bottom_k(need, by="rk").get_column("pid")
    if chosen.len() < need:
        raise _Shortage("persons")
    labels = pl.concat([pl.Series([s]).extend_constant(s, counts[s] - 1) for s in rest]) if rest \
        else pl.Series([], dtype=pl.String)
    parts.append(pl.DataFrame({"pid": chosen, "scenario": labels}))
    owners = pl.concat(parts)
    # Record order: random, so scenarios interleave.
    return owners.sort(uniform("pid", stream_key(key, STREAM["order"])))


def _pair_up(rows: list[tuple[int, int, int, str]], rng: random.Random
             ) -> tuple[list[tuple[int, int]], list[int]]:
    """Pair records (i, surname, household, address) of different people with different surname
    and address; return the pairs (i, i) and the rows left over."""
    pool = list(rows)
    rng.shuffle(pool)
    pairs, left = [], []
    while pool:
        a = pool.pop()
        for j in range(len(pool) - 1, -1, -1):
            b = pool[j]
            if a[1] != b[1] and a[2] != b[2] and a[3] != b[3]:
                pool.pop(j)
                pairs.append((min(a[0], b[0]), max(a[0], b[0])))
                break
        else:
            left.append(a[0])
    return sorted(pairs), sorted(left)
