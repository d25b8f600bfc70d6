"""Grading business records against the Resident Registry: a verdict per field, a grade, a reason.

The input frames have the columns ``caseflow.matching.extracts.read_extract``
returns. Everything runs as Polars expressions over whole columns; the only
per-row Python is the edit distance, computed for the few pairs that still
differ after normalisation. The verdicts and what normalising decides where the
two sides differ are ``caseflow.matching.verdicts``; the checks of the number,
the detectors across records and the rules are here.

The grading rules are the table ``RULES`` below, read from top to bottom: the
first rule that holds gives the grade and the reason.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import polars as pl

from caseflow.core.cells import FORMULA_TRIGGERS
from caseflow.core.mynumber import CHECK_DIGIT_WEIGHTS
from caseflow.matching.fields import LABELS
from caseflow.matching.normalize import address_expr, name_parts_expr
from caseflow.matching.verdicts import (
    ENGINE,
    FIELDS,
    MATCH,
    MINOR,
    MISMATCH,
    MISSING,
    NOTATION,
    birth_verdict,
    field_verdict,
    scatter,
    with_normalised,
)

# --- preparing each side ------------------------------------------------------------------


def prepare_registry(registry: pl.DataFrame) -> pl.DataFrame:
    """Registry facts keyed by My Number, ready to join (done once per registry extract)."""
    return registry.select(
        pl.col("my_number").str.to_integer(strict=False).cast(pl.Int64).alias("_key"),
        *[pl.col(c).alias(f"reg_{c}") for c in FIELDS],
        reg_found=pl.lit(True),
    )


def _number_checks(frame: pl.LazyFrame) -> pl.LazyFrame:
    """The number to look up and what is wrong with the registered number, if anything.

    One parse to an integer does most of the work: it is the join key (several times
    faster than the string), an 11-digit number that lost its leading zero is the same
    integer as its 12-digit form, and the check digit is arithmetic on it.
    """
    num = pl.col("my_number")
    length = num.str.len_bytes()  # bytes = characters for ASCII digits, the only case that counts
    parsed = num.str.to_integer(strict=False)
    digits = (parsed.is_not_null() & (parsed >= 0) & ~num.str.starts_with("+")).fill_null(False)
    eleven = digits & (length == 11)
    return frame.with_columns(
        _key=pl.when(digits & length.is_in([11, 12])).then(parsed.cast(pl.Int64)),
        lookup_number=pl.when(eleven).then(pl.lit("0") + num).otherwise(num),
        leading_zero_lost=eleven,
    ).with_columns(_check_problem(num))


def _check_problem(num: pl.Expr) -> pl.Expr:
    value = pl.col("_key")
    # digit i (0 = leftmost of 12) is value // 10**(11 - i) % 10
    weighted = pl.sum_horizontal([(value // 10 ** (11 - i) % 10) * w for i, w in enumerate(CHECK_DIGIT_WEIGHTS)])
    remainder = weighted % 11
    check = pl.when(remainder <= 1).then(0).otherwise(11 - remainder)
    return (
        pl.when(num.is_null()).then(pl.lit("個人番号が登録されていません。"))
        .when(value.is_null()).then(pl.lit("登録されている個人番号が12桁の数字ではありません。"))
        .when(check != value % 10).then(pl.lit("登録されている個人番号の検査用数字が一致しません（誤った番号）。"))
        .alias("number_problem")
    )


# --- detectors across records ---------------------------------------------------------------


def shared_accounts(candidates: pl.LazyFrame, key: str = "_i") -> pl.LazyFrame:
    """``key`` and shared_account for records whose bank account appears more than once.

    Shared means: registered for several numbers whose surnames and addresses differ
    (a family sharing an account is not flagged).
    """
    return (
        candidates.select(
            key, "bank_account", "lookup_number",
            name_parts_expr(pl.col("rec_name")).str.split(" ").list.first().alias("_surname"),
            address_expr(pl.col("rec_address")).alias("_address"),
        )
        .select(key, shared_account=(pl.col("lookup_number").n_unique().over("bank_account") > 1)
                & (pl.col("_surname").n_unique().over("bank_account") > 1)
                & (pl.col("_address").n_unique().over("bank_account") > 1))
    )


def reused_keys(candidates: pl.LazyFrame, key: str = "_i") -> pl.LazyFrame:
    """``key`` and business_key_reused for records whose business key appears more than once."""
    return candidates.select(key, business_key_reused=pl.col("lookup_number").n_unique().over("business_key") > 1)


def repeated(values: pl.Series) -> pl.Series:
    """Per row: the (integer) value occurs on another row too; never for null.

    Sorting and comparing neighbours finds the repeated values five times faster than
    is_duplicated() on a million rows; they are few, and a look-up marks their rows.
    """
    twice = repeated_values(values)
    if twice.len() == 0:
        return pl.repeat(False, values.len(), eager=True)
    return values.is_in(twice.implode()).fill_null(False)


def repeated_values(values: pl.Series) -> pl.Series:
    """The (integer) values that occur more than once, each once; null is never one."""
    ordered = values.drop_nulls().sort()
    if ordered.len() < 2:
        return ordered.clear()
    later = ordered.slice(1)
    return later.filter(later == ordered.slice(0, ordered.len() - 1)).unique()


def _detectors(frame: pl.DataFrame, cross_record: pl.DataFrame | None = None) -> pl.DataFrame:
    """Patterns that only show across records (2023 inspection):

    - one bank account registered to several people whose surname and address
      differ (公金受取口座 registered at a shared terminal left logged in);
    - one My Number on records of different people;
    - one business key (handbook number …) on records with different numbers.

    Only the candidate groups (an account, number or key on more than one record)
    are normalised. ``cross_record`` (record_id, shared_account,
    business_key_reused) replaces the first and last when the records are graded
    in partitions and those were found across the whole file.
    """
    # repeated() finds the few candidate rows cheaply (strings by their 64-bit hash: a
    # collision only adds a candidate); windows over a million one-row groups would cost seconds.
    def hashed(column: str) -> pl.Series:
        return frame.select(pl.when(pl.col(column).is_not_null()).then(pl.col(column).hash())).to_series()

    # Three independent look-ups, at once: Polars lets go of the interpreter while it hashes and sorts.
    with ThreadPoolExecutor(max_workers=2) as pool:
        shared = pool.submit(lambda: repeated(hashed("bank_account")))
        reused = pool.submit(lambda: repeated(hashed("business_key")))
        flags = {"number_candidate": repeated(frame["_key"]),
                 "shared_candidate": shared.result(), "key_candidate": reused.result()}
    person = pl.concat_str([name_parts_expr(pl.col("rec_name")).str.replace_all(" ", "", literal=True),
                            pl.col("birth_date").cast(pl.String)], separator="|", ignore_nulls=True)
    found = [
        # (the four columns read, not the whole frame: 42,000 rows of a million are candidates)
        frame.select("_i", "_key", "rec_name", "birth_date").filter(flags["number_candidate"]).lazy()
        .select("_i", number_on_other_person=person.n_unique().over("_key") > 1)
    ]
    if cross_record is None:
        found += [shared_accounts(frame.filter(flags["shared_candidate"]).lazy()),
                  reused_keys(frame.filter(flags["key_candidate"]).lazy())]
    else:
        found.append(frame.lazy().select("_i", "record_id").join(cross_record.lazy(), on="record_id")
                     .select("_i", "shared_account", "business_key_reused"))
    for part in found:
        frame = scatter(frame, part.collect(engine=ENGINE), fill=False)
    for column in ("shared_account", "business_key_reused"):
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(False).alias(column))
    return frame


# --- the rules ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    name: str
    grade: str
    reason: str
    when: pl.Expr


def _ok(field: str) -> pl.Expr:
    return pl.col(f"verdict_{field}").is_in([MATCH, NOTATION])


def _is(field: str, *verdicts: str) -> pl.Expr:
    return pl.col(f"verdict_{field}").is_in(list(verdicts))


# The record is marked 住登外 (an empty cell, or no such column: not marked).
_OUT_OF_AREA = pl.col("out_of_area").fill_null(False)


def rules() -> list[Rule]:
    """The grading rules, first match wins. Each reason is what a caseworker reads."""
    # <stem>_<part>_same / _differs: the record's and the registry's surname (given name), in
    # the kanji name or the kana, are known and the same / differ (_decided).
    surname_same = pl.col("name_surname_same") | pl.col("kana_surname_same")
    surname_differs = pl.col("name_surname_differs") & ~pl.col("kana_surname_same")
    given_same = pl.col("name_given_same") | pl.col("kana_given_same")
    given_differs = pl.col("name_given_differs") & ~pl.col("kana_given_same")
    names_differ = _is("name", MISMATCH) & _is("name_kana", MISMATCH, MISSING)
    return [
        Rule("number_problem", "C", "", pl.col("number_problem").is_not_null()),
        Rule("shared_account", "C",
             "同じ口座が、氏と住所の異なる別の人の記録にも登録されています（共用端末でのログアウト忘れ等の可能性）。",
             pl.col("shared_account")),
        Rule("twin", "C", "氏・住所・生年月日が同じで名が異なります（双子の兄弟姉妹の番号の可能性）。",
             surname_same & given_differs & _ok("address") & _is("birth_date", MATCH)),
        Rule("family_member", "C", "氏と住所が同じで名と生年月日が異なります（家族の番号の可能性）。",
             surname_same & given_differs & _ok("address")),
        Rule("other_person", "C", "氏名と生年月日がいずれも異なります（別人の番号の可能性）。",
             names_differ & _is("birth_date", MISMATCH) & ~(surname_differs & given_same)),
        Rule("sex_mismatch", "C", "性別が一致しません（別人の番号の可能性）。", _is("sex", MISMATCH)),
        Rule("birth_mismatch", "C", "生年月日が一致しません（別人の番号の可能性）。", _is("birth_date", MISMATCH)),
        Rule("name_mismatch", "C", "氏名が一致しません（別人の番号の可能性）。",
             names_differ & ~(surname_differs & given_same)),
        # A number the agency's registry does not hold, or a record marked 住登外: a person registered in
        # another municipality, confirmed by a 住基ネット query (not a wrong number for that alone).
        # After the C rules: a marked record whose number the registry does hold is still compared.
        Rule("out_of_area", "B", "", ~pl.col("reg_found") | _OUT_OF_AREA),
        Rule("leading_zero_lost", "B",
             "個人番号が11桁です（先頭の0が失われた可能性）。業務システムの番号を確認してください。",
             pl.col("leading_zero_lost")),
        Rule("surname_change_and_move", "B", "氏と住所が異なります（改姓と転居の未届の可能性）。",
             surname_differs & given_same & _is("address", MISMATCH, MINOR)),
        Rule("surname_change", "B", "氏のみ異なります（改姓の未届の可能性）。", surname_differs & given_same),
        Rule("move", "B", "住所のみ異なります（転居の未届の可能性）。",
             _is("address", MISMATCH) & _ok("name") & _is("name_kana", MATCH, NOTATION, MISSING)),
        Rule("business_key_reused", "B", "手帳番号等が、別の個人番号の記録と重複しています。",
             pl.col("business_key_reused")),
        Rule("typo", "B", "", pl.any_horizontal([_is(f, MINOR) for f in FIELDS])),
        Rule("facts_missing", "B", "", pl.any_horizontal([_is(f, MISSING) for f in ("name", "birth_date", "address")])),
        Rule("name_kanji_differs", "B", "氏名の漢字が一致しません（読みは一致）。入力誤りの可能性があります。",
             _is("name", MISMATCH) & _ok("name_kana")),
        Rule("kana_differs", "B", "カナ氏名が一致しません（漢字は一致）。入力誤りの可能性があります。",
             _is("name_kana", MISMATCH) & _ok("name")),
        Rule("other_difference", "B", "一致しない項目があります。",
             ~pl.all_horizontal([_ok(f) | _is(f, MISSING) for f in FIELDS])),
        Rule("all_match", "A", "", pl.lit(True)),
    ]


OTHER_RECORD_NOTE = "同じ個人番号が、別の人の記録にも登録されています。"
OUT_OF_AREA_REASON = "住登外者: 住基ネット照会で確認"

def _listed_text(fields: list[str]) -> str:
    return "・".join(LABELS[f] for f in fields)


def _coded(verdicts: dict[str, tuple[str, ...]], texts) -> pl.Expr:
    """A reason looked up by which fields have which verdict.

    Each (field, verdict) in ``verdicts`` is one bit of a code; ``texts(flags)`` gives
    the reason for one combination. Every combination is written once, here, instead
    of being assembled string by string on every record.
    """
    bits = [(field, verdict) for field, wanted in verdicts.items() for verdict in wanted]
    code = pl.sum_horizontal([pl.when(_is(f, v)).then(1 << i).otherwise(0) for i, (f, v) in enumerate(bits)])
    table = {n: texts({bit for i, bit in enumerate(bits) if n >> i & 1}) for n in range(1 << len(bits))}
    return code.replace_strict(table, return_dtype=pl.String)


def _all_match_text(flags: set[tuple[str, str]]) -> str:
    notes = []
    notation = [f for f in FIELDS if (f, NOTATION) in flags]
    if notation:
        notes.append(_listed_text(notation) + "は表記の違いのみ")
    if ("name_kana", MISSING) in flags:
        notes.append("カナ氏名の情報なし")
    if ("sex", MISSING) in flags:
        notes.append("性別の情報なし")
    return "。".join(notes) + "。" if notes else ALL_MATCH_REASON


def _reason(rule: Rule) -> pl.Expr:
    if rule.name == "number_problem":
        return pl.col("number_problem")
    if rule.name == "typo":
        return _coded({f: (MINOR,) for f in FIELDS}, lambda flags: _listed_text(
            [f for f in FIELDS if (f, MINOR) in flags]) + "に1文字程度の相違があります（入力誤りの可能性）。")
    if rule.name == "facts_missing":
        required = ("name", "birth_date", "address")
        return _coded({f: (MISSING,) for f in required}, lambda flags: _listed_text(
            [f for f in required if (f, MISSING) in flags]) + "の情報がないため照合できません。")
    if rule.name == "out_of_area":
        return (pl.when(pl.col("reg_found")).then(pl.lit(
                    OUT_OF_AREA_REASON + "（住登外の記録ですが、住民基本台帳データに同じ個人番号があります）。"))
                .when(_OUT_OF_AREA).then(pl.lit(OUT_OF_AREA_REASON + "（住登外の記録）。"))
                .otherwise(pl.lit(OUT_OF_AREA_REASON + "（この個人番号は住民基本台帳データにありません。"
                                  "住登外者でなければ番号の誤りの可能性があります）。")))
    if rule.name == "all_match":
        return _coded({**{f: (NOTATION,) for f in FIELDS}, "name_kana": (NOTATION, MISSING), "sex": (MISSING,)},
                      _all_match_text)
    return pl.lit(rule.reason)


def _apply_rules(frame: pl.DataFrame) -> pl.DataFrame:
    """Evaluate the rule table once per record: the index of the first rule that holds.

    Records that differ only in notation (no rule before ``all_match`` can hold for
    them) skip the table: they are a third of a typical file.
    """
    notation_only = (
        pl.col("number_problem").is_null() & pl.col("reg_found") & ~_OUT_OF_AREA & ~pl.col("leading_zero_lost")
        & ~pl.col("shared_account") & ~pl.col("business_key_reused")
        & pl.all_horizontal([_ok(f) for f in ("name", "birth_date", "address")])
        & pl.all_horizontal([_ok(f) | _is(f, MISSING) for f in ("name_kana", "sex")])
    )
    split = frame.with_columns(_notation_only=notation_only)
    easy = split.filter("_notation_only")
    rest = split.filter(~pl.col("_notation_only"))
    table = rules()
    last = next(r for r in table if r.name == "all_match")
    easy = easy.with_columns(grade=pl.lit(last.grade), rule=pl.lit(last.name), reason=_reason(last))
    rest = _rule_table(rest, table)
    graded = pl.concat([easy, rest], how="vertical_relaxed").drop("_notation_only")
    # The same number on another person's record: the record that matches the registry
    # is the right one and keeps its grade; the note tells the caseworker where to look.
    return graded.with_columns(
        reason=pl.when(pl.col("number_on_other_person")).then(pl.col("reason") + pl.lit(OTHER_RECORD_NOTE))
        .otherwise(pl.col("reason"))
    )


def _rule_table(frame: pl.DataFrame, table: list[Rule]) -> pl.DataFrame:
    index = pl.when(table[0].when).then(pl.lit(0, dtype=pl.UInt8))
    for number, rule in enumerate(table[1:], start=1):
        index = index.when(rule.when).then(pl.lit(number, dtype=pl.UInt8))
    frame = frame.with_columns(_rule=index)
    static = {n: r.reason for n, r in enumerate(table) if r.reason}
    dynamic = [(n, r) for n, r in enumerate(table) if not r.reason]
    reason = pl.col("_rule").replace_strict(static, default=None, return_dtype=pl.String)
    for number, rule in dynamic:
        reason = pl.when(pl.col("_rule") == number).then(_reason(rule)).otherwise(reason)
    return frame.with_columns(
        grade=pl.col("_rule").replace_strict({n: r.grade for n, r in enumerate(table)}, return_dtype=pl.String),
        rule=pl.col("_rule").replace_strict({n: r.name for n, r in enumerate(table)}, return_dtype=pl.String),
        reason=reason,
    ).drop("_rule")


# --- the whole grading ------------------------------------------------------------------------

RESULT_COLUMNS = ("record_id", "grade", "reason", *(f"verdict_{f}" for f in FIELDS))


def grade(records: pl.DataFrame, registry: pl.DataFrame | None = None, *,
          prepared_registry: pl.DataFrame | None = None,
          cross_record: pl.DataFrame | None = None) -> pl.DataFrame:
    """Grade every record against the registry row of its registered number.

    Returns one row per record, in the records' order: record_id, row, grade,
    reason, rule, verdict_<field> for each field, the registry facts found
    (reg_*), and the number checks. Pass ``prepared_registry`` (from
    prepare_registry) to reuse a prepared registry across calls, and
    ``cross_record`` when grading one partition of a larger file.
    """
    if prepared_registry is None:
        if registry is None:
            raise ValueError("registry or prepared_registry is required")
        prepared_registry = prepare_registry(registry)
    if "out_of_area" not in records.columns:  # frames built by hand, without the optional column
        records = records.with_columns(out_of_area=pl.lit(None, dtype=pl.Boolean))
    frame = _number_checks(records.lazy().rename({c: f"rec_{c}" for c in ("name", "name_kana", "address")}))
    frame = frame.with_row_index("_i").collect(engine=ENGINE)
    # Only the key goes into the join and the registry's facts come out of it, placed beside the
    # records: joined whole, the records' columns were written anew too (1M: 30k fewer page faults).
    facts = (
        frame.lazy().select("_key").join(prepared_registry.lazy(), on="_key", how="left", maintain_order="left")
        .select(pl.exclude("_key", "reg_found"), reg_found=pl.col("reg_found").fill_null(False))
        .collect(engine=ENGINE)
    )
    frame = frame.hstack(facts.get_columns())
    frame = _detectors(frame, cross_record)

    # Fast path: a valid number found in the registry, all five facts written the same on
    # both sides, and nothing across records: A, with nothing to normalise or weigh.
    plain = (
        pl.col("number_problem").is_null() & pl.col("reg_found") & ~_OUT_OF_AREA & ~pl.col("leading_zero_lost")
        & pl.all_horizontal([(pl.col(a) == pl.col(b)).fill_null(False) for a, b in _RAW_PAIRS])
        & ~pl.col("shared_account") & ~pl.col("number_on_other_person") & ~pl.col("business_key_reused")
    )
    # The hard rows carry only what the verdicts and the rules read: filtering copies every
    # column it keeps, and the ids, numbers and accounts are not needed past this point
    # (463,000 of 1M rows are hard: 18 columns copied instead of 31).
    hard = with_normalised(frame.select(_HARD_COLUMNS).filter(~plain))
    hard = hard.with_columns(
        verdict_name=field_verdict("rec_name", "reg_name", "_verdict_name"),
        verdict_name_kana=field_verdict("rec_name_kana", "reg_name_kana", "_verdict_name_kana"),
        verdict_birth_date=birth_verdict(),
        verdict_sex=field_verdict("sex", "reg_sex", None),
        verdict_address=field_verdict("rec_address", "reg_address", "_verdict_address"),
    )
    # The rules read the verdicts and the flags: the raw values stay behind, so that
    # splitting the rows by rule (_apply_rules) copies only those (0.11-0.17 s → 0.05 s).
    hard = _apply_rules(hard.select(_RULE_COLUMNS)).select("_i", *OUTCOME_COLUMNS)
    # Every record starts as the fast path's A; the others' outcomes go to their rows.
    outcome = {f"verdict_{f}": MATCH for f in FIELDS} | {"grade": "A", "rule": "all_match",
                                                          "reason": ALL_MATCH_REASON}
    def placed(name: str) -> pl.Series:
        full = pl.repeat(outcome[name], frame.height, dtype=hard[name].dtype, eager=True).alias(name)
        return full.scatter(hard["_i"], hard[name]) if hard.height else full

    with ThreadPoolExecutor(max_workers=2) as pool:  # two columns at a time, as for the look-ups above
        columns = list(pool.map(placed, OUTCOME_COLUMNS))
    return frame.with_columns(columns).drop("_i", "_key")


# What the rules read besides the verdicts (see rules() and _reason()).
_FLAG_COLUMNS = ("number_problem", "reg_found", "out_of_area", "leading_zero_lost", "shared_account",
                 "business_key_reused", "number_on_other_person")
_HARD_COLUMNS = ("_i", *_FLAG_COLUMNS, "rec_name", "reg_name", "rec_name_kana", "reg_name_kana", "birth_date",
                 "reg_birth_date", "sex", "reg_sex", "rec_address", "reg_address")
_RULE_COLUMNS = ("_i", *_FLAG_COLUMNS, *(f"verdict_{f}" for f in FIELDS),
                 *(f"{stem}_{part}_{how}" for stem in ("name", "kana") for part in ("surname", "given")
                   for how in ("same", "differs")))
OUTCOME_COLUMNS = ("grade", "reason", "rule", *(f"verdict_{f}" for f in FIELDS))
_RAW_PAIRS = (("rec_name", "reg_name"), ("rec_name_kana", "reg_name_kana"), ("birth_date", "reg_birth_date"),
              ("sex", "reg_sex"), ("rec_address", "reg_address"))
ALL_MATCH_REASON = "すべて一致。"


def write_result(graded: pl.DataFrame, sink, *, header: bool = True) -> None:
    """The result table as CSV, UTF-8 with a BOM so that Excel opens the Japanese correctly.

    ``sink`` is a path or an open binary file; with ``header=False`` rows are appended
    to a file already started (the partitions of one large run).
    """
    result_table(graded).write_csv(sink, include_header=header, include_bom=header)


def result_table(graded: pl.DataFrame) -> pl.DataFrame:
    """The downloadable result: record_id, grade, reason and one verdict column per field.

    The record id is the one text column taken from the agency's file: one that a
    spreadsheet would read as a formula (=HYPERLINK(…), +1+1, @SUM(A1)) gets a leading
    apostrophe, as caseflow.core.cells.safe_cell does for the report exports.
    """
    record_id = pl.col("record_id")
    formula = pl.any_horizontal([record_id.str.starts_with(trigger) for trigger in FORMULA_TRIGGERS])
    return graded.select(RESULT_COLUMNS).with_columns(
        record_id=pl.when(formula.fill_null(False)).then(pl.lit("'") + record_id).otherwise(record_id))
