"""The first table of the 2023 report, reproduced exactly from the published figures; bad files refused whole."""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import pytest
import sqlalchemy as sa

from caseflow import ROOT
from caseflow.reports.models import PublishedFigure
from caseflow.reports.published import Problem, PublishedFileRefused, import_published, published_lines
from caseflow.reports.tables import published_layout, total

SEED = ROOT / "seed" / "programs_2023_inspection.csv"

# 事務 / 点検対象件数 / 紐付け誤り 件数 / 割合, as printed in the government report.
PUBLISHED_2023 = [
    ("健康保険証情報", "1,571万件", "1,142件", "0.007%"),
    ("共済年金情報", "507万件", "119件", "0.002%"),
    ("公金受取口座情報", "5,622万件", "1,186件", "0.002%"),
    ("所得・個人住民税情報", "7,789件", "4件", "0.051%"),
    ("障害支援区分認定情報", "2,325件", "1件", "0.043%"),
    ("障害者自立支援に関する給付情報（精神通院医療）", "157,763件", "152件", "0.096%"),
    ("障害福祉サービス受給者証情報", "2,895件", "6件", "0.207%"),
    ("生活保護情報", "62,351件", "22件", "0.035%"),
    ("障害者手帳情報", "480万件", "5,689件", "0.119%"),
    ("小児慢性特定疾病医療費助成の支給情報", "4,625件", "7件", "0.151%"),
    ("難病患者に対する特定医療費の支給情報", "37,820件", "66件", "0.175%"),
    ("労働者災害補償給付情報", "263件", "1件", "0.380%"),
    ("その他（12事務）", "6,089件", "0件", "—"),
    ("合計", "8,208万件", "8,395件", "0.010%"),
]


def table_of(session) -> list[tuple[str, str, str, str]]:
    lines = published_lines(session, "2023")
    shown = [*published_layout(lines), total(lines)]
    return [(x.label, x.records_text, x.errors_text, x.rate_text) for x in shown]


def seed_rows() -> tuple[list[str], list[list[str]]]:
    rows = list(csv.reader(io.StringIO(SEED.read_text(encoding="utf-8"))))
    return rows[0], rows[1:]


def write_csv(path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> Path:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def test_the_2023_table_is_reproduced_line_by_line(session):
    assert import_published(session, SEED) == 24
    assert table_of(session) == PUBLISHED_2023


def test_the_total_holds_the_raw_figures_behind_the_texts(session):
    import_published(session, SEED)
    lines = published_lines(session, "2023")
    line = total(lines)
    assert (line.records, line.errors, line.programs) == (82_076_482, 8_395, 24)
    assert [x.label for x in lines][:3] == ["健康保険証情報", "共済年金情報", "公金受取口座情報"]
    handbook = next(x for x in lines if x.label == "障害者手帳情報")
    assert (handbook.ministry, handbook.agencies, handbook.records, handbook.errors) == ("厚生労働省", 406, 4_798_087,
                                                                                          5_689)


def test_importing_again_replaces_the_dataset(session):
    import_published(session, SEED)
    import_published(session, SEED)
    count = session.scalar(sa.select(sa.func.count()).select_from(PublishedFigure)
                           .where(PublishedFigure.dataset == "2023"))
    assert count == 24
    assert table_of(session) == PUBLISHED_2023


def test_a_shift_jis_file_is_read_as_well(session, tmp_path):
    header, rows = seed_rows()
    import_published(session, write_csv(tmp_path / "sjis.csv", header, rows, encoding="cp932"))
    assert table_of(session) == PUBLISHED_2023


def _without_column(header, rows, name):
    index = header.index(name)
    return [h for h in header if h != name], [[v for i, v in enumerate(r) if i != index] for r in rows]


def _bad_count(header, rows):
    rows = [list(r) for r in rows]
    rows[2][header.index("linkage_errors")] = "約1186"
    return header, rows


def _duplicated(header, rows):
    return header, [*rows, list(rows[0])]


def _more_errors_than_records(header, rows):
    rows = [list(r) for r in rows]
    rows[4][header.index("linkage_errors")] = "939"
    return header, rows


MALFORMED = {
    "missing column": (lambda h, r: _without_column(h, r, "linkage_errors"),
                       Problem(1, "紐付け誤り件数", "列 linkage_errors がありません")),
    "non-integer count": (_bad_count, Problem(4, "紐付け誤り件数", "0以上の整数ではありません")),
    "duplicated program": (_duplicated, Problem(26, "事務", "同じ事務が2回あります")),
    "more errors than records": (_more_errors_than_records, Problem(6, "紐付け誤り件数", "点検対象件数より多くなっています")),
}


@pytest.mark.parametrize("name", MALFORMED)
def test_a_malformed_file_is_refused_whole_and_the_figures_stay(session, tmp_path, name):
    import_published(session, SEED)
    make, expected = MALFORMED[name]
    path = write_csv(tmp_path / "bad.csv", *make(*seed_rows()))
    with pytest.raises(PublishedFileRefused) as refused:
        import_published(session, path)
    assert expected in refused.value.problems
    assert str(expected) in refused.value.message
    assert "何も取り込んでいません" in refused.value.message
    assert table_of(session) == PUBLISHED_2023


def test_random_bytes_are_refused_and_the_figures_stay(session, tmp_path):
    import_published(session, SEED)
    path = tmp_path / "noise.csv"
    path.write_bytes(random.Random(6).randbytes(2048))
    with pytest.raises(PublishedFileRefused) as refused:
        import_published(session, path)
    assert refused.value.problems == [Problem(0, "ファイル", "文字コードを読み取れません（UTF-8 または Shift_JIS）")]
    assert table_of(session) == PUBLISHED_2023


def test_every_problem_of_a_file_is_reported_at_once(session, tmp_path):
    header, rows = _bad_count(*_duplicated(*seed_rows()))
    with pytest.raises(PublishedFileRefused) as refused:
        import_published(session, write_csv(tmp_path / "bad.csv", header, rows))
    assert {(p.row, p.column) for p in refused.value.problems} == {(4, "紐付け誤り件数"), (26, "事務")}
    assert published_lines(session, "2023") == []
