"""Grading business records against the Resident Registry: a verdict per field, a grade, a reason.

The input frames have the columns ``caseflow.matching.extracts.read_extract``
returns. Everything runs as Polars expressions over whole columns; the only
per-row Python is the edit distance, computed for the few pairs that still
differ after normalisation.

The grading rules are the table ``RULES`` below, read from top to bottom: the
first rule that holds gives the grade and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from rapidfuzz.distance import Levenshtein

from caseflow.matching.normalize import address_expr, kana_parts_expr, name_parts_expr

# Field names as the result file writes them (verdict_<field>).
FIELDS = ("name", "name_kana", "birth_date", "sex", "address")

MATCH, NOTATION, MINOR, MISMATCH, MISSING = "match", "notation", "minor", "mismatch", "missing"

_WEIGHTS = (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


# --- preparing each side ------------------------------------------------------------------


def prepare_registry(registry: pl.DataFrame) -> pl.DataFrame:
    """Registry facts with their normalised forms, keyed by My Number.

    Done once per registry extract; the result can be kept and reused for
    every program graded against the same registry.
    """
    frame = registry.lazy().select(
        pl.col("my_number").alias("lookup_number"),
        *[pl.col(c).alias(f"reg_{c}") for c in ("name", "name_kana", "birth_date", "sex", "address")],
    )
    return _with_normalised(frame, "reg_").collect()


def _with_normalised(frame: pl.LazyFrame, prefix: str) -> pl.LazyFrame:
    name_parts = name_parts_expr(pl.col(f"{prefix}name"))
    kana_parts = kana_parts_expr(pl.col(f"{prefix}name_kana"))
    frame = frame.with_columns(
        name_parts.alias(f"{prefix}name_parts"),
        kana_parts.alias(f"{prefix}kana_parts"),
        address_expr(pl.col(f"{prefix}address")).alias(f"{prefix}address_n"),
    )
    out = []
    for parts, stem in ((f"{prefix}name_parts", "name"), (f"{prefix}kana_parts", "kana")):
        split = pl.col(parts).str.split_exact(" ", 1)
        out += [
            pl.col(parts).str.replace_all(" ", "", literal=True).alias(f"{prefix}{stem}_n"),
            # surname and given name, when the name is written with a space between them
            pl.when(pl.col(parts).str.contains(" ", literal=True))
            .then(split.struct.field("field_0")).alias(f"{prefix}{stem}_surname"),
            pl.when(pl.col(parts).str.contains(" ", literal=True))
            .then(split.struct.field("field_1").str.replace_all(" ", "", literal=True))
            .alias(f"{prefix}{stem}_given"),
        ]
    return frame.with_columns(out).drop(f"{prefix}name_parts", f"{prefix}kana_parts")


def _number_checks(frame: pl.LazyFrame) -> pl.LazyFrame:
    """The number to look up and what is wrong with the registered number, if anything."""
    num = pl.col("my_number")
    digits = num.str.contains(r"^\d+$").fill_null(False)
    length = num.str.len_chars()
    lookup = pl.when(digits & (length == 11)).then(pl.lit("0") + num).otherwise(num)
    weighted = pl.sum_horizontal(
        [pl.col("lookup_number").str.slice(i, 1).cast(pl.Int32, strict=False) * w for i, w in enumerate(_WEIGHTS)]
    )
    remainder = weighted % 11
    check = pl.when(remainder <= 1).then(0).otherwise(11 - remainder)
    last = pl.col("lookup_number").str.slice(11, 1).cast(pl.Int32, strict=False)
    return frame.with_columns(lookup_number=lookup, leading_zero_lost=digits & (length == 11)).with_columns(
        number_problem=pl.when(num.is_null())
        .then(pl.lit("個人番号が登録されていません。"))
        .when(~digits | ~pl.col("lookup_number").str.len_chars().is_in([12]))
        .then(pl.lit("登録されている個人番号が12桁の数字ではありません。"))
        .when(check != last)
        .then(pl.lit("登録されている個人番号の検査用数字が一致しません（誤った番号）。"))
    )


# --- detectors across records ---------------------------------------------------------------


def _detectors(frame: pl.LazyFrame) -> pl.LazyFrame:
    """Patterns that only show across records (2023 inspection):

    - one bank account registered to several people whose surname and address
      differ (公金受取口座 registered at a shared terminal left logged in);
    - one My Number on records of different people;
    - one business key (handbook number …) on records with different numbers.
    """
    account = pl.col("bank_account")
    person = pl.concat_str([pl.col("rec_name_n"), pl.col("birth_date").cast(pl.String)], separator="|",
                           ignore_nulls=True)
    return frame.with_columns(
        shared_account=(
            account.is_not_null()
            & (pl.col("lookup_number").n_unique().over("bank_account") > 1)
            & (pl.col("rec_name_surname").n_unique().over("bank_account") > 1)
            & (pl.col("rec_address_n").n_unique().over("bank_account") > 1)
        ).fill_null(False),
        number_on_other_person=(
            pl.col("lookup_number").is_not_null() & (person.n_unique().over("lookup_number") > 1)
        ).fill_null(False),
        business_key_reused=(
            pl.col("business_key").is_not_null()
            & (pl.col("lookup_number").n_unique().over("business_key") > 1)
        ).fill_null(False),
    )


# --- verdicts ----------------------------------------------------------------------------


def _verdict(raw_a: str, raw_b: str, norm_a: str | None, norm_b: str | None) -> pl.Expr:
    a, b = pl.col(raw_a), pl.col(raw_b)
    expr = pl.when(a.is_null() | b.is_null()).then(pl.lit(MISSING)).when(a == b).then(pl.lit(MATCH))
    if norm_a:
        expr = expr.when(pl.col(norm_a) == pl.col(norm_b)).then(pl.lit(NOTATION))
    return expr.otherwise(pl.lit(MISMATCH))


def _birth_verdict() -> pl.Expr:
    a, b = pl.col("birth_date"), pl.col("reg_birth_date")
    transposed = (
        (a.dt.year() == b.dt.year()) & (a.dt.month() == b.dt.day()) & (a.dt.day() == b.dt.month())
    )
    return (
        pl.when(a.is_null() | b.is_null()).then(pl.lit(MISSING))
        .when(a == b).then(pl.lit(MATCH))
        .when(transposed).then(pl.lit(MINOR))
        .otherwise(pl.lit(MISMATCH))
    )


def _one_edit_to_minor(frame: pl.DataFrame) -> pl.DataFrame:
    """Turn a mismatch into ``minor`` where the normalised values are one edit apart.

    Only the pairs that still differ after normalisation get here (a few
    percent), so a per-pair call of rapidfuzz costs little. Edit distance is
    counted in characters, not UTF-8 bytes (サトウ/サトー differ by one).
    """
    updates = {}
    for field, a, b in (("name", "rec_name_n", "reg_name_n"), ("name_kana", "rec_kana_n", "reg_kana_n"),
                        ("address", "rec_address_n", "reg_address_n")):
        column = f"verdict_{field}"
        mask = (frame[column] == MISMATCH).fill_null(False)
        if not mask.any():
            continue
        pairs = frame.filter(mask).select(a, b)
        near = [Levenshtein.distance(x, y, score_cutoff=1) <= 1 for x, y in pairs.iter_rows()]
        index = frame.with_row_index("_i").filter(mask)["_i"]
        values = frame[column].to_list()
        for i, is_near in zip(index.to_list(), near, strict=True):
            if is_near:
                values[i] = MINOR
        updates[column] = pl.Series(column, values, dtype=pl.String)
    return frame.with_columns(**updates) if updates else frame


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


def _same(a: str, b: str) -> pl.Expr:
    return (pl.col(a) == pl.col(b)).fill_null(False)


def _differ(a: str, b: str) -> pl.Expr:
    return (pl.col(a) != pl.col(b)).fill_null(False)


def rules() -> list[Rule]:
    """The grading rules, first match wins. Each reason is what a caseworker reads."""
    surname_same = _same("rec_name_surname", "reg_name_surname") | _same("rec_kana_surname", "reg_kana_surname")
    surname_differs = _differ("rec_name_surname", "reg_name_surname") & ~_same(
        "rec_kana_surname", "reg_kana_surname")
    given_same = _same("rec_name_given", "reg_name_given") | _same("rec_kana_given", "reg_kana_given")
    given_differs = _differ("rec_name_given", "reg_name_given") & ~_same("rec_kana_given", "reg_kana_given")
    names_differ = _is("name", MISMATCH) & _is("name_kana", MISMATCH, MISSING)
    return [
        Rule("number_problem", "C", "", pl.col("number_problem").is_not_null()),
        Rule("not_in_registry", "C", "この個人番号は住民基本台帳にありません（誤った番号の可能性）。",
             pl.col("reg_found").not_()),
        Rule("shared_account", "C",
             "同じ口座が、氏と住所の異なる別の人の記録にも登録されています（共用端末でのログアウト忘れ等の可能性）。",
             pl.col("shared_account")),
        Rule("twin", "C", "氏・住所・生年月日が同じで名が異なります（双子の兄弟姉妹の番号の可能性）。",
             surname_same & given_differs & _ok("address") & _is("birth_date", MATCH)),
        Rule("family_member", "C", "氏と住所が同じで名と生年月日が異なります（家族の番号の可能性）。",
             surname_same & given_differs & _ok("address")),
        Rule("sex_mismatch", "C", "性別が一致しません（別人の番号の可能性）。", _is("sex", MISMATCH)),
        Rule("birth_mismatch", "C", "生年月日が一致しません（別人の番号の可能性）。", _is("birth_date", MISMATCH)),
        Rule("name_mismatch", "C", "氏名が一致しません（別人の番号の可能性）。",
             names_differ & ~(surname_differs & given_same)),
        Rule("leading_zero_lost", "B",
             "個人番号が11桁です（先頭の0が失われた可能性）。業務システムの番号を確認してください。",
             pl.col("leading_zero_lost")),
        Rule("surname_change_and_move", "B", "氏と住所が異なります（改姓と転居の未届の可能性）。",
             surname_differs & given_same & _is("address", MISMATCH, MINOR)),
        Rule("surname_change", "B", "氏のみ異なります（改姓の未届の可能性）。", surname_differs & given_same),
        Rule("move", "B", "住所のみ異なります（転居の未届の可能性）。",
             _is("address", MISMATCH) & _ok("name") & _is("name_kana", MATCH, NOTATION, MISSING)),
        Rule("number_on_other_person", "B", "同じ個人番号が、別の人の記録にも登録されています。",
             pl.col("number_on_other_person")),
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


_LABELS = {"name": "氏名", "name_kana": "カナ氏名", "birth_date": "生年月日", "sex": "性別", "address": "住所"}


def _listed(verdict: str, fields: tuple[str, ...]) -> pl.Expr:
    """「氏名・住所」 for the fields that have ``verdict``."""
    parts = [pl.when(_is(f, verdict)).then(pl.lit(_LABELS[f])) for f in fields]
    return pl.concat_str(parts, separator="・", ignore_nulls=True)


def _reason(rule: Rule) -> pl.Expr:
    if rule.name == "number_problem":
        return pl.col("number_problem")
    if rule.name == "typo":
        return _listed(MINOR, FIELDS) + pl.lit("に1文字程度の相違があります（入力誤りの可能性）。")
    if rule.name == "facts_missing":
        return _listed(MISSING, ("name", "birth_date", "address")) + pl.lit("の情報がないため照合できません。")
    if rule.name == "all_match":
        notes = pl.concat_str(
            [
                pl.when(pl.any_horizontal([_is(f, NOTATION) for f in FIELDS]))
                .then(_listed(NOTATION, FIELDS) + pl.lit("は表記の違いのみ")),
                pl.when(_is("name_kana", MISSING)).then(pl.lit("カナ氏名の情報なし")),
                pl.when(_is("sex", MISSING)).then(pl.lit("性別の情報なし")),
            ],
            separator="。",
            ignore_nulls=True,
        )
        return pl.when(notes == "").then(pl.lit("すべて一致。")).otherwise(notes + pl.lit("。"))
    return pl.lit(rule.reason)


def _apply_rules(frame: pl.DataFrame) -> pl.DataFrame:
    table = rules()
    grade = pl.when(table[0].when).then(pl.lit(table[0].grade))
    reason = pl.when(table[0].when).then(_reason(table[0]))
    rule_name = pl.when(table[0].when).then(pl.lit(table[0].name))
    for rule in table[1:]:
        grade = grade.when(rule.when).then(pl.lit(rule.grade))
        reason = reason.when(rule.when).then(_reason(rule))
        rule_name = rule_name.when(rule.when).then(pl.lit(rule.name))
    return frame.with_columns(grade=grade, reason=reason, rule=rule_name)


# --- the whole grading ------------------------------------------------------------------------

RESULT_COLUMNS = ("record_id", "grade", "reason", *(f"verdict_{f}" for f in FIELDS))


def grade(records: pl.DataFrame, registry: pl.DataFrame | None = None, *,
          prepared_registry: pl.DataFrame | None = None) -> pl.DataFrame:
    """Grade every record against the registry row of its registered number.

    Returns one row per record, in the records' order: record_id, row, grade,
    reason, rule, verdict_<field> for each field, the registry facts found
    (reg_*), and the number checks. Pass ``prepared_registry`` (from
    prepare_registry) to reuse a normalised registry across calls.
    """
    if prepared_registry is None:
        if registry is None:
            raise ValueError("registry or prepared_registry is required")
        prepared_registry = prepare_registry(registry)
    frame = records.lazy().rename({c: f"rec_{c}" for c in ("name", "name_kana", "address")})
    frame = _with_normalised(frame, "rec_")
    frame = _number_checks(frame)
    frame = frame.join(prepared_registry.lazy().with_columns(reg_found=pl.lit(True)), on="lookup_number",
                       how="left", maintain_order="left")
    frame = frame.with_columns(reg_found=pl.col("reg_found").fill_null(False))
    frame = _detectors(frame)
    frame = frame.with_columns(
        verdict_name=_verdict("rec_name", "reg_name", "rec_name_n", "reg_name_n"),
        verdict_name_kana=_verdict("rec_name_kana", "reg_name_kana", "rec_kana_n", "reg_kana_n"),
        verdict_birth_date=_birth_verdict(),
        verdict_sex=_verdict("sex", "reg_sex", None, None),
        verdict_address=_verdict("rec_address", "reg_address", "rec_address_n", "reg_address_n"),
    )
    # Without a registry row there is nothing to compare: every field is missing.
    frame = frame.with_columns(
        [pl.when(pl.col("reg_found")).then(pl.col(f"verdict_{f}")).otherwise(pl.lit(MISSING))
         .alias(f"verdict_{f}") for f in FIELDS]
    )
    result = _one_edit_to_minor(frame.collect())
    return _apply_rules(result)


def result_table(graded: pl.DataFrame) -> pl.DataFrame:
    """The downloadable result: record_id, grade, reason and one verdict column per field."""
    return graded.select(RESULT_COLUMNS)
