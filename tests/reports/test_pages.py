"""Report pages: each figure links to the cases behind it, within the viewer's rights."""

from __future__ import annotations

import html
import re
from pathlib import Path

from caseflow.extensions import db
from caseflow.reports.published import import_published
from tests.conftest import login
from tests.reports.conftest import happened_at

SEED = str(Path(__file__).resolve().parents[2] / "seed" / "programs_2023_inspection.csv")


def _links(page: str) -> dict[str, str]:
    """Case-list links on a page: the URL → the figure shown."""
    return {html.unescape(href): text for href, text in re.findall(r'<a href="(/cases/\?[^"]+)">([^<]+)</a>', page)}


def _count_on_list(client, url: str) -> int:
    page = client.get(url).get_data(as_text=True)
    return int(re.search(r'<p class="result-count">([\d,]+)件', page).group(1).replace(",", ""))


def test_every_figure_opens_the_cases_behind_it(reports_world, client):
    w = reports_world
    login(client, w.ministry_officer)
    page = client.get("/reports/").get_data(as_text=True)
    assert "点検結果（事務別）" in page and f"{w.ministry.name}所管の事務" in page
    links = _links(page)
    assert links, "no figure links to cases"
    for url, text in links.items():
        assert _count_on_list(client, url) == int(text.rstrip("件").replace(",", "")), url
    errors = f"/cases/?program={w.program.id}&outcome=errors&found=inspection"
    assert links[errors] == "3件"


def test_a_figure_link_does_not_widen_rights(reports_world, client):
    w = reports_world
    login(client, w.other_caseworker)
    # the ministry's link, opened by agency B's caseworker, lists only agency B's case
    assert _count_on_list(client, f"/cases/?program={w.program.id}&outcome=errors") == 1
    assert _count_on_list(client, f"/cases/?program={w.program.id}&outcome=errors&agency={w.agency.id}") == 0


def test_the_agencies_behind_a_programs_errors(reports_world, client):
    w = reports_world
    login(client, w.digital)
    page = client.get(f"/reports/programs/{w.program.id}").get_data(as_text=True)
    assert "紐付け誤りのあった機関：2機関" in page
    links = _links(page)
    assert links[f"/cases/?program={w.program.id}&agency={w.agency.id}&outcome=errors&found=inspection"] == "2件"
    assert links[f"/cases/?program={w.program.id}&agency={w.other_agency.id}&outcome=errors&found=inspection"] == "1件"
    listed = client.get(f"/cases/?program={w.program.id}&agency={w.agency.id}&outcome=errors").get_data(as_text=True)
    assert "集計から：紐付け実施機関：" in listed and "紐付け誤り" in listed


def test_another_ministrys_program_is_not_found(reports_world, client):
    w = reports_world
    login(client, w.other_ministry_officer)
    assert client.get(f"/reports/programs/{w.program.id}").status_code == 404
    assert client.get(f"/reports/programs/{w.program2.id}").status_code == 200


def test_causes_and_grades_pages(reports_world, client):
    w = reports_world
    login(client, w.digital)
    causes = client.get("/reports/causes").get_data(as_text=True)
    assert "家族のマイナンバーの取り違え" in causes
    links = _links(causes)
    assert links["/cases/?outcome=errors&cause=family_member_number"] == "3件"
    grades = client.get("/reports/grades").get_data(as_text=True)
    assert "1,999,000" in grades and "99.5%" in grades  # A share of P: 1,999,000 / 2,010,000


def test_the_published_2023_table_is_shown_as_published(app, client, caseworker):
    import_published(db.session, SEED, "2023")
    login(client, caseworker)
    page = client.get("/reports/?dataset=2023").get_data(as_text=True)
    assert "8,208万件" in page and "8,395件" in page and "0.010%" in page
    assert "障害者手帳情報" in page and "0.119%" in page and "その他（12事務）" in page
    full = client.get("/reports/?dataset=2023&amp;layout=all".replace("&amp;", "&")).get_data(as_text=True)
    assert "児童手当支給情報" in full and "その他（12事務）" not in full


def test_bad_filters_on_the_case_list_are_refused(reports_world, client):
    login(client, reports_world.caseworker)
    assert client.get("/cases/?outcome=everything").status_code == 400
    assert client.get("/cases/?cause=nonsense").status_code == 400
    assert client.get("/cases/?viewed=maybe").status_code == 400


def test_exports_download_the_viewers_table(reports_world, client):
    import csv
    import datetime as dt
    import io

    from caseflow.reports.snapshots import take_snapshot

    w = reports_world
    happened_at(dt.datetime(2026, 10, 15, tzinfo=dt.UTC))
    snapshot = take_snapshot(db.session, None, dt.date(2026, 10, 31))
    login(client, w.other_caseworker)
    response = client.get("/reports/export.csv")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert 'filename="tenken_kekka.csv"' in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert [r["事務"] for r in rows] == [w.program.name, "合計"]  # agency B's program only
    assert rows[0]["紐付け誤り件数"] == "1" and rows[0]["点検対象件数"] == "2000000"
    for fmt, mimetype in (("xlsx", "spreadsheetml"), ("pdf", "application/pdf")):
        for query in ("", f"?snapshot={snapshot.id}"):
            response = client.get(f"/reports/export.{fmt}{query}")
            assert response.status_code == 200 and mimetype in response.mimetype, (fmt, query)
    assert client.get("/reports/export.doc").status_code == 404
    assert client.get("/reports/export.csv?snapshot=999999").status_code == 404
