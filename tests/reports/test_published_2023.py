"""Every table of seed 000 (the 2023 report) as reference data: each figure checked against the seed's text.

The seed is read here with its own small parsers (the detail tables, the table of agencies per
program), so that a figure dropped or mistyped in seed/ is found; whitespace (PDF extraction) and
the width of parentheses and colons are the only differences allowed.
"""

from __future__ import annotations

import csv
import io
import random
import re
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseflow.cli import main
from caseflow.extensions import db
from caseflow.reports.models import PublishedAgencyFigure, PublishedFigure, PublishedGrade, PublishedNote
from caseflow.reports.published import PublishedFileRefused, published_lines
from caseflow.reports.published_tables import (
    FILES,
    PROGRAMS_FILE,
    SECTIONS,
    FileProblem,
    figure_span,
    grade_text,
    import_published_dataset,
    import_published_tables,
    parse_figure,
    published_report,
)
from caseflow.reports.tables import format_count
from caseflow.seeding import SEED_DIR
from tests.conftest import login

SEED_NAME = "000_b123943b9c3abb10.txt"
SEED = Path(__file__).with_name(f"seed_{SEED_NAME}")  # a verbatim copy, so that CI needs no shared folder
SHARED_SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / SEED_NAME
TEXT = SEED.read_text(encoding="utf-8")
SECTION_ORDER = list(SECTIONS)
COUNTS = {"programs": 24, "agencies": 63, "notes": 51, "grades": 3, "trial": 2}


def same(text: str) -> str:
    """Text compared without whitespace and with one width of parentheses and colons."""
    return re.sub(r"\s+", "", text).translate(str.maketrans("()：", "（）:"))


def number(text: str) -> int:
    return int(text.replace(",", ""))


def seed_csv(name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO((SEED_DIR / name).read_text(encoding="utf-8"))))


def part(start: str, end: str) -> str:
    return TEXT[TEXT.index(start):TEXT.index(end)]


# The seed's detail tables (本人確認作業が終了した事務 1/4 to 4/4): a line per program, tab-separated.
DETAIL = part("本人確認作業が終了した事務（1/4）", "自治体における点検支援ツールの活用結果")
AGENCY = r"[^\s\d、（()）]+?(?:市|区|県|都|府|道|省|労基署)"
AGENCY_LIST = re.compile(rf"[（(]((?:{AGENCY}(?:[\d,]+件)?、)*{AGENCY}(?:[\d,]+件)?)[)）]")


def detail_lines() -> dict[str, dict]:
    """Per program: records, errors, viewed, resolved and the agencies listed (name, count or None)."""
    names = {row["program_name"] for row in seed_csv("programs_2023_inspection.csv")}
    found = {}
    for line in DETAIL.splitlines():
        cells = line.split("\t")
        if cells[0] not in names:
            continue
        cell = cells[2]
        listed = AGENCY_LIST.search(cell)  # the first list: the agencies behind the errors
        agencies = []
        for item in listed[1].split("、") if listed else []:
            name, count = re.fullmatch(rf"({AGENCY})([\d,]+件)?", item).groups()
            agencies.append((name, number(count[:-1]) if count else None))
        found[cells[0]] = {
            "records": number(cells[1]),
            "errors": number(re.search(r"([\d,]+)件", cell)[1]),
            "viewed": number(re.search(r"閲覧された件数(?:（[^）]*）)?：([\d,]+)件", cell)[1]),
            "resolved": number(re.search(r"誤紐付けを解消した件数：([\d,]+)件", cell)[1]),
            "agencies": agencies,
        }
    return found


def institution_lines() -> list[list[str]]:
    """The seed's 総点検の対象事務・対象機関 table: [事務, 点検対象機関数, 点検対象件数] as printed."""
    rows = []
    for line in part("○ 全体の点検結果について", "※1 第5回総点検本部").splitlines():
        cells = [c.strip() for c in line.split("\t")]
        if len(cells) == 3 and not cells[0].startswith("事務"):
            rows.append([re.sub(r"※\d$", "", cells[0]), cells[1], cells[2]])
    return rows


@pytest.fixture
def loaded(session):
    assert import_published_dataset(session, SEED_DIR, "2023") == COUNTS
    return published_report(session, "2023")


def test_the_copy_is_the_shared_seed():
    if not SHARED_SEED.exists():
        pytest.skip("the shared seed folder is not beside the repository")
    assert SHARED_SEED.read_text(encoding="utf-8") == TEXT


def test_the_seed_parsers_find_every_table():
    assert len(detail_lines()) == 24
    assert len(institution_lines()) == 25  # 24 programs and the total


# Every figure against the seed -------------------------------------------------------------------


def test_every_note_is_printed_in_the_seed_word_for_word(loaded):
    seed = same(TEXT)
    for row in seed_csv("published_2023_notes.csv"):
        assert same(row["text"]) in seed, row["key"]
        if row["shown"]:
            assert figure_span(row["text"], row["shown"]) is not None, row["key"]
    assert [key for n in loaded.notes for key, _ in n.figures] \
        == [r["key"] for r in sorted(seed_csv("published_2023_notes.csv"), key=lambda r: SECTION_ORDER.index(r["section"]))]


# The figures issue 18 names, as printed and as numbers.
FOOTNOTE_FIGURES = {
    "overview.municipalities": ("332", 332, False),
    "overview.labour_offices": ("1", 1, False),
    "institutions.published_before": ("5,493件", 5_493, False),
    "institutions.municipalities": ("332自治体", 332, False),
    "institutions.labour_offices": ("1署", 1, False),
    "detail.health_viewed_with_separate": ("22件", 22, False),
    "detail.health_found_separately": ("7,553件", 7_553, False),
    "detail.public_accounts_new_errors": ("19件", 19, False),
    "programs.other_labour_offices": ("3件", 3, False),
    "detail.labour_other_offices": ("3件", 3, False),
    "detail.handbook_agencies": ("43自治体", 43, False),
    "support_tool.municipalities": ("20自治体", 20, False),
    "support_tool.records": ("約67万件", 670_000, True),
    "trial.insurers": ("5保険者", 5, False),
    "trial.members": ("約146万人", 1_460_000, True),
    "trial.errors": ("17件", 17, False),
    "trial.estimate": ("約450件", 450, True),
}


def test_the_footnote_figures_are_loaded_as_published(loaded):
    for key, (shown, value, approximate) in FOOTNOTE_FIGURES.items():
        assert loaded.figure(key) == shown, key
        figure = parse_figure(shown)
        assert (figure.value, figure.approximate) == (value, approximate), key
    viewed = next(n for n in loaded.notes if ("detail.health_viewed", "9件") in n.figures)
    health = next(x for x in loaded.programs if x.label == "健康保険証情報")
    assert health.viewed == 9 and "22件" in viewed.text


def test_the_program_figures_match_the_detail_tables(loaded):
    detail = detail_lines()
    for line in loaded.programs:
        printed = detail[line.label]
        assert (line.records, line.errors, line.viewed, line.resolved) == (
            printed["records"], printed["errors"], printed["viewed"], printed["resolved"]), line.label


def test_the_agencies_are_the_seeds_in_its_order(loaded):
    detail = detail_lines()
    errors = {x.label: x.errors for x in loaded.programs}
    listed = {name: d["agencies"] for name, d in detail.items() if d["agencies"]}
    assert list(loaded.agencies) == list(listed)
    for program, agencies in listed.items():
        expected = [(name, errors[program] if count is None else count, count is not None)
                    for name, count in agencies]
        assert [(a.agency_name, a.linkage_errors, a.count_published) for a in loaded.agencies[program]] \
            == expected, program
    assert len(loaded.agencies["障害者手帳情報"]) == 43
    assert [a.agency_name for a in loaded.agencies["生活保護情報"]] == ["大田区", "山形市", "秋田県", "池田市", "松江市"]
    assert [a.agency_name for a in loaded.agencies["所得・個人住民税情報"]] == ["浦添市", "うるま市", "八女市", "熱海市"]
    assert [(a.agency_name, a.linkage_errors)
            for a in loaded.agencies["障害者自立支援に関する給付情報（精神通院医療）"]] \
        == [("島根県", 7), ("秋田県", 19), ("鹿児島県", 111), ("静岡県", 15)]


def test_the_agency_rows_add_up_to_the_program_rows():
    """Read from the files themselves: seed/published_2023_agencies.csv against programs_2023_inspection.csv."""
    programs = {row["program_name"]: row for row in seed_csv("programs_2023_inspection.csv")}
    added: dict[str, int] = {}
    for row in seed_csv("published_2023_agencies.csv"):
        added[row["program_name"]] = added.get(row["program_name"], 0) + int(row["linkage_errors"])
    assert added == {name: int(programs[name]["linkage_errors"]) for name in added}
    with_errors = {name for name, row in programs.items() if int(row["linkage_errors"])}
    # no agencies are published for the three programs checked beforehand (insurers, pension funds, accounts)
    assert with_errors - set(added) == {"健康保険証情報", "共済年金情報", "公金受取口座情報"}


def test_the_institutions_table_is_the_seeds(loaded):
    cells = {n.program_name: n.text for n in loaded.notes if n.section == "institutions" and n.placement == "cell"}
    rows = [[x.label, cells.get(x.label, f"{x.agencies:,}"), format_count(x.records, "")] for x in loaded.programs]
    total = sum(x.records for x in loaded.programs)
    assert [*rows, ["合計", "—", format_count(total, "")]] == institution_lines()


def test_the_support_tool_grades_are_the_seeds(loaded):
    seed = same(TEXT)
    assert [g.grade for g in loaded.grades] == ["A", "B", "C"]
    for g in loaded.grades:
        assert same(f"{g.grade}{grade_text(g)}") in seed
        assert same(f"{g.grade}：{g.label}（{g.description}）") in seed
    assert [(g.records, g.approximate, g.share_percent) for g in loaded.grades] == [
        (585_000, True, 87), (48_000, True, 7), (36_000, True, 5)]
    # 約67万件 in all: the grades add up to it within the rounding of 約
    assert abs(sum(g.records for g in loaded.grades) - 670_000) <= 5_000


def test_the_health_insurance_trial_is_the_seeds(loaded):
    seed = same(TEXT)
    assert [(t.mark, t.kind, t.rate, t.remaining, t.approximate) for t in loaded.trial] == [
        ("①", "birth_sex", Decimal("3.6"), 2_779, False), ("②", "name_etc", Decimal("0.025"), 1_390_000, True)]
    for t in loaded.trial:
        assert same(f"{t.mark}{t.label}：{t.rate}%") in seed
        assert same(f"{t.mark}{t.label}が{t.remaining_text}") in seed
    # ①2,779件×3.6% + ②139万件×0.025% = 100.044 + 347.5 ≈ 約450件
    assert [t.expected for t in loaded.trial] == [Decimal("100.044"), Decimal("347.5")]
    assert round(loaded.trial_expected, -1) == 450
    assert loaded.figure("trial.estimate") == "約450件"


def test_misprints_are_kept_as_published_and_said_so(loaded):
    unnan = next(a for a in loaded.agencies["障害福祉サービス受給者証情報"] if a.agency_name == "雲南省")
    assert "雲南市" in unnan.remark
    rate = next(n for n in loaded.cell("detail", "障害者手帳情報") if ("detail.handbook_rate_as_printed", "0.0119%")
                in n.figures)
    assert "0.119%" in rate.remarks[0]


# All or nothing ---------------------------------------------------------------------------------------


@pytest.fixture
def seed_copy(tmp_path) -> Path:
    for name in (PROGRAMS_FILE, *FILES.values()):
        shutil.copy(SEED_DIR / name.format(dataset="2023"), tmp_path)
    return tmp_path


def _edit(directory: Path, kind: str, old: str, new: str) -> None:
    path = directory / FILES[kind].format(dataset="2023")
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _stored(session) -> dict[str, int]:
    return {model.__tablename__: session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (PublishedFigure, PublishedAgencyFigure, PublishedNote, PublishedGrade)}


BAD = {
    "agency count": ("agencies", "静岡県,180,", "静岡県,181,", FileProblem(
        22, "紐付け誤り件数", "障害者手帳情報の機関の合計（5,690件）が事務別の表の紐付け誤り件数（5,689件）と合いません",
        "published_2023_agencies.csv")),
    "unknown program": ("agencies", "生活保護情報,大田区", "生活保護,大田区", FileProblem(
        14, "事務", "事務別の表にない事務です", "published_2023_agencies.csv")),
    "figure not in its text": ("notes", '"5,493件"', '"5,439件"', FileProblem(
        10, "数字", "本文にこの数字がありません", "published_2023_notes.csv")),
    "rate not a number": ("trial", ",3.6,", ",3.6%,", FileProblem(
        2, "誤登録の発生割合", "0から100までの数ではありません", "published_2023_trial.csv")),
    "approximate not a flag": ("grades", "585000,yes", "585000,約", FileProblem(
        2, "約", "yes か no で書いてください", "published_2023_support_tool.csv")),
}


@pytest.mark.parametrize("name", BAD)
def test_a_bad_file_is_refused_and_nothing_is_stored(session, seed_copy, name):
    import_published_dataset(session, SEED_DIR, "2023")
    before = _stored(session)
    kind, old, new, problem = BAD[name]
    _edit(seed_copy, kind, old, new)
    for load in (import_published_dataset, import_published_tables):
        with pytest.raises(PublishedFileRefused) as refused:
            load(session, seed_copy, "2023")
        assert refused.value.problems[0] == problem
        assert str(problem) in refused.value.message and "何も取り込んでいません" in refused.value.message
        assert _stored(session) == before
    assert published_report(session, "2023").figure("institutions.published_before") == "5,493件"


def test_every_problem_of_every_file_is_reported_at_once_and_nothing_is_stored(session, seed_copy):
    (seed_copy / "published_2023_support_tool.csv").unlink()
    (seed_copy / "published_2023_trial.csv").write_bytes(random.Random(18).randbytes(1024))
    _edit(seed_copy, "agencies", "静岡県,180,", "静岡県,百八十,")
    programs = seed_copy / "programs_2023_inspection.csv"
    programs.write_text(programs.read_text(encoding="utf-8").replace("15713895", "1571万", 1), encoding="utf-8")
    with pytest.raises(PublishedFileRefused) as refused:
        import_published_dataset(session, seed_copy, "2023")
    assert [str(p) for p in refused.value.problems] == [
        "programs_2023_inspection.csv 2行目 点検対象件数: 0以上の整数ではありません",
        "published_2023_agencies.csv 22行目 紐付け誤り件数: 0以上の整数ではありません",
        "published_2023_support_tool.csv ファイル: 見つかりません",
        "published_2023_trial.csv ファイル: 文字コードを読み取れません（UTF-8 または Shift_JIS）",
    ]
    assert set(_stored(session).values()) == {0}


def test_the_tables_need_the_program_table_first(session):
    from caseflow.errors import DomainError

    with pytest.raises(DomainError, match="programs_2023_inspection.csv"):
        import_published_tables(session, SEED_DIR, "2023")


def test_importing_again_replaces_the_tables(session):
    import_published_dataset(session, SEED_DIR, "2023")
    import_published_dataset(session, SEED_DIR, "2023")
    assert _stored(session) == {"published_figures": 24, "published_agency_figures": 63, "published_notes": 51,
                                "published_grades": 3}
    assert len(published_lines(session, "2023")) == 24


def test_seed_reference_loads_every_table(session):
    from caseflow.seeding import load_reference

    load_reference(session)
    report = published_report(session, "2023")
    assert len(report.programs) == 24 and len(report.agencies) == 9 and len(report.trial) == 2
    assert report.figure("detail.health_found_separately") == "7,553件"


# The page and the command line ------------------------------------------------------------------------


def test_the_page_shows_every_table_with_its_notes(session, client, caseworker, loaded):
    login(client, caseworker)
    page = client.get("/reports/?dataset=2023").get_data(as_text=True)
    text = re.sub(r"<[^>]+>", "", page)
    for title in ("総点検で判明した紐付け誤り", "総点検の対象事務・対象機関", "本人確認作業が終了した事務",
                  "紐付け誤りのあった機関（事務別）", "自治体における点検支援ツールの活用結果", "試行実施"):
        assert title in text, title
    for printed in ("8,208万件", "8,395件", "0.010%", "7（全団体）", "406（全自治体）", "15,713,895",
                    "5,493件も含む", "7,553件の紐付け誤りを確認", "合わせて22件", "19件の紐付け誤りを確認",
                    "3件（新宿労基署、川崎北労基署、御坊労基署）", "332自治体、労働基準監督署1署",
                    "20自治体において", "約67万件", "約585,000件（87%）", "約48,000件（7%）", "約36,000件（5%）",
                    "5保険者・加入者約146万人", "17件（0.001%）", "2,779件", "約139万件", "3.6%", "0.025%",
                    "447.5件（公表：約450件）", "雲南省", "公表資料の表記のまま"):
        assert printed in text, printed
    for program, agencies in loaded.agencies.items():
        caption = f"{program}（{len(agencies)}機関）"
        table = text[text.index(caption):]
        table = table[:table.index("事務別の表：")]
        for a in agencies:
            assert f"{a.agency_name}{a.linkage_errors:,}件" in re.sub(r"\s+", "", table), (program, a.agency_name)
        assert f"計{sum(a.linkage_errors for a in agencies):,}件" in re.sub(r"\s+", "", table)
    assert "<strong>5,493件</strong>" in page


def test_the_page_says_how_to_load_the_tables(session, client, caseworker):
    from caseflow.reports.published import import_published

    import_published(session, SEED_DIR / "programs_2023_inspection.csv", "2023")
    login(client, caseworker)
    page = client.get("/reports/?dataset=2023").get_data(as_text=True)
    assert "caseflow report import-published seed/" in page and "8,395件" in page


@pytest.fixture
def run(committed_app):
    runner = committed_app.test_cli_runner()

    def invoke(*args):
        result = runner.invoke(main, list(args), catch_exceptions=False)
        return result

    return invoke


def _tsv(output: str) -> list[list[str]]:
    return [line.split("\t") for line in output.splitlines()]


def test_the_command_line_prints_every_table_as_published(run):
    result = run("report", "import-published")  # seed/ by default
    assert result.exit_code == 0, result.output
    assert "24事務分" in result.output and "機関別 63行" in result.output

    institutions = _tsv(run("report", "institutions", "--dataset", "2023").output)
    start = institutions.index(["事務", "点検対象機関数", "点検対象件数"])
    assert institutions[start + 1:start + 26] == institution_lines()
    assert any("5,493件" in row[0] for row in institutions[start + 26:])

    detail = _tsv(run("report", "detail", "--dataset", "2023").output)
    seed = detail_lines()
    for row in detail[1:25]:
        printed = seed[row[0]]
        assert [number(row[1]), number(row[2][:-1]), number(row[4][:-1]), number(row[5][:-1])] == [
            printed["records"], printed["errors"], printed["viewed"], printed["resolved"]]
    assert detail[1][3] == "0.007%" and detail[5][3] == "—"

    handbook = _tsv(run("report", "agencies", "--dataset", "2023", "--program", "障害者手帳情報").output)
    assert len(handbook) == 1 + 43 + 1
    assert handbook[1][:3] == ["障害者手帳情報", "静岡県", "180件"]
    assert handbook[-1][1:3] == ["計（43機関）", "5,689件"] and handbook[-1][4] == "事務別の表：5,689件"
    every = list(csv.DictReader(io.StringIO(run("report", "agencies", "--dataset", "2023", "--format", "csv").output)))
    assert len(every) == 63 + 9
    assert [r["機関"] for r in every if r["事務"] == "生活保護情報"][:5] == ["大田区", "山形市", "秋田県", "池田市", "松江市"]

    notes = list(csv.DictReader(io.StringIO(run("report", "notes", "--dataset", "2023", "--format", "csv").output)))
    assert len(notes) == 51 and all(r["キー"] for r in notes)
    values = {r["キー"]: (r["数字"], r["値"], r["約"]) for r in notes}
    for key, (shown, value, approximate) in FOOTNOTE_FIGURES.items():
        assert values[key] == (shown, str(value), "yes" if approximate else ""), key

    tool = _tsv(run("report", "support-tool", "--dataset", "2023").output)
    assert ["A", "確認不要（完全一致）", "約585,000件（87%）"] in tool
    assert ["C", "優先確認（別人への紐付けの可能性が高いもの）", "約36,000件（5%）"] in tool
    assert any("20自治体" in row[0] and "約67万件" in row[0] for row in tool)

    trial = _tsv(run("report", "trial", "--dataset", "2023").output)
    assert ["①生年月日・性別不一致", "3.6%", "2,779件", "100.0件"] in trial
    assert ["②氏名等不一致", "0.025%", "約139万件", "347.5件"] in trial
    assert ["合計", "", "", "447.5件（公表：約450件）"] in trial
    assert any("5保険者・加入者約146万人" in row[0] for row in trial)
    rows = list(csv.DictReader(io.StringIO(run("report", "trial", "--dataset", "2023", "--format", "csv").output)))
    assert rows[1]["不一致データ数"] == "1390000" and rows[1]["約"] == "yes" and rows[-1]["推計値"] == "447.544"


def test_the_command_line_refuses_a_bad_directory_whole(run, committed_app, seed_copy):
    run("report", "import-published", str(SEED_DIR))
    _edit(seed_copy, "agencies", "静岡県,180,", "静岡県,181,")
    result = run("report", "import-published", str(seed_copy))
    assert result.exit_code == 1
    assert "published_2023_agencies.csv 22行目 紐付け誤り件数: 障害者手帳情報の機関の合計（5,690件）" in result.output
    with committed_app.app_context():
        assert db.session.query(PublishedAgencyFigure).filter_by(agency_name="静岡県",
                                                                 program_name="障害者手帳情報").one().linkage_errors \
            == 180
    assert run("report", "agencies", "--program", "健康保険証情報").exit_code == 1
