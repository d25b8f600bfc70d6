"""Finding cases: the header's search box (reference, management number, name, kana, birth date, both
people of a case, notation-insensitive, within the viewer's rights) and the search by My Number
(a purpose, recorded, an invalid number refused without repeating it); the keys follow the facts."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from caseflow.audit.models import AccessRecord
from caseflow.audit.operations import verify_chain
from caseflow.cases import kernel, search_queries
from caseflow.cases.models import Case
from caseflow.cases.search import CaseSearchKey, index_case, reindex
from caseflow.cases.vocabulary import CaseStatus, Grade
from caseflow.cli import main
from caseflow.core.japanese import today_jst
from caseflow.core.limits import SEARCH_TEXT_MAX
from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.organizations.models import OrganizationKind
from caseflow.retention.models import Disposal
from caseflow.retention.operations import purge
from caseflow.users.models import Role
from tests.conftest import login, post_form, valid_number


def _found(user, text: str) -> set[int]:
    query = search_queries.read_query(text)
    return set(db.session.scalars(search_queries.text_search(user, query).with_only_columns(Case.id)))


def _ids(*cases) -> set[int]:
    return {case.id for case in cases}


@pytest.fixture
def people(make_case):
    """Three cases of agency A: 髙橋 (record) / 鈴木 (holder), サイトウ in half-width kana, 山田."""
    return (
        make_case(record_name="髙橋　一郎", record_kana="ﾀｶﾊｼ ｲﾁﾛｳ", record_birth_date=dt.date(2001, 2, 3),
                  registry_name="鈴木　次郎", registry_kana="スズキ　ジロウ", registry_birth_date=dt.date(1980, 7, 8),
                  source_record_id="K-2024-0001"),
        make_case(record_name="斉藤　花子", record_kana="サイトウ　ハナコ", record_birth_date=dt.date(1990, 1, 1),
                  registry_name="斉藤　花子", registry_kana="サイトウ　ハナコ", registry_birth_date=dt.date(1990, 1, 1)),
        make_case(record_name="山田　太郎", record_kana="ヤマダ　タロウ", record_birth_date=dt.date(2001, 2, 3),
                  registry_name="山田　太郎", registry_kana="ヤマダ　タロウ", registry_birth_date=dt.date(2001, 2, 3)),
    )


def test_names_are_found_whatever_their_notation(people, caseworker):
    takahashi, saito, yamada = people
    assert _found(caseworker, "高橋") == _ids(takahashi)  # 髙 is 高; the family name alone
    assert _found(caseworker, "高橋一郎") == _found(caseworker, "髙橋　一郎") == _ids(takahashi)
    assert _found(caseworker, "ｻｲﾄｳ") == _ids(saito)  # half-width kana, the family kana alone
    assert _found(caseworker, "さいとう　はなこ") == _found(caseworker, "サイトー ハナコ") == _ids(saito)
    assert _found(caseworker, "斎藤") == _ids(saito)  # 斉 and 斎 are one name
    assert _found(caseworker, "タカハシ") == _ids(takahashi)  # the record's kana, written full-width
    # exact on the normalised values: a part of a name finds nothing
    assert _found(caseworker, "高") == _found(caseworker, "一郎") == set()


def test_the_number_holder_is_found_too(people, caseworker):
    takahashi, _saito, _yamada = people
    assert _found(caseworker, "鈴木次郎") == _found(caseworker, "ｽｽﾞｷ") == _ids(takahashi)
    assert _found(caseworker, "1980-07-08") == _ids(takahashi)


def test_by_reference_and_management_number(people, caseworker):
    takahashi, saito, _yamada = people
    assert _found(caseworker, takahashi.reference) == _ids(takahashi)
    assert _found(caseworker, f"cf{saito.id}") == _ids(saito)
    full_width = f"ＣＦ－{saito.id:07d}".translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert _found(caseworker, full_width) == _ids(saito)
    assert _found(caseworker, "K-2024-0001") == _found(caseworker, "Ｋ－２０２４－０００１") == _ids(takahashi)


def test_by_birth_date_as_people_write_it(people, caseworker):
    takahashi, _saito, yamada = people
    for written in ("2001-02-03", "2001/2/3", "平成13年2月3日", "H13.2.3", "２００１年２月３日"):
        assert _found(caseworker, written) == _ids(takahashi, yamada), written
    # a name with the birth date: both must be the same case's
    assert _found(caseworker, "山田太郎 2001/2/3") == _found(caseworker, "平成13年2月3日 ﾔﾏﾀﾞ ﾀﾛｳ") == _ids(yamada)
    assert _found(caseworker, "山田太郎 1990/1/1") == set()


def test_only_the_cases_the_viewer_may_see(people, make_case, make_org, make_user, caseworker, ministry, client):
    takahashi, _saito, _yamada = people
    other = make_case(agency_=make_org(name="別市"), record_name="髙橋　一郎")
    assert _found(caseworker, "高橋一郎") == _ids(takahashi)
    assert _found(make_user(Role.CASEWORKER, org=other.agency), "高橋一郎") == _ids(other)
    assert _found(caseworker, other.reference) == set()
    digital = make_user(Role.DIGITAL_AGENCY_OFFICER, org=make_org(OrganizationKind.DIGITAL_AGENCY, "デジタル庁（テスト）"))
    assert _found(digital, "高橋一郎") == _ids(takahashi, other)
    officer = make_user(Role.MINISTRY_OFFICER, org=ministry)
    assert _found(officer, "高橋一郎") == _ids(takahashi, other)
    # an officer's results hide the people's facts, as the list does
    login(client, officer)
    page = client.get("/search/", query_string={"q": "髙橋 一郎"}).get_data(as_text=True)
    assert takahashi.reference in page and other.reference in page
    assert "（非表示）" in page and "髙橋　一郎" not in page


def test_the_results_page(people, client, caseworker):
    takahashi, _saito, yamada = people
    login(client, caseworker)
    page = client.get("/cases/").get_data(as_text=True)
    assert 'id="site-search-q"' in page  # the box in the header of every page
    response = client.get("/search/", query_string={"q": "2001/2/3"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<h1>検索結果</h1>" in page
    # the list's default order: by due date (the same here), then by id
    assert re.findall(r'data-case="(CF-\d+)"', page) == [takahashi.reference, yamada.reference]
    assert "2件" in page and "髙橋　一郎" in page
    # a page past the end shows the last one
    page = client.get("/search/", query_string={"q": "2001/2/3", "page": "9"}).get_data(as_text=True)
    assert re.findall(r'data-case="(CF-\d+)"', page) == [takahashi.reference, yamada.reference]
    assert "該当する案件はありません" in client.get("/search/", query_string={"q": "存在しない氏名"}).get_data(as_text=True)
    response = client.get("/search/", query_string={"q": "山" * (SEARCH_TEXT_MAX + 1)})
    assert response.status_code == 422 and f"{SEARCH_TEXT_MAX}文字以内" in response.get_data(as_text=True)


def test_a_search_that_finds_too_many_says_so(make_case, caseworker, monkeypatch):
    for _ in range(3):
        make_case(record_name="佐藤　一郎")
    monkeypatch.setattr(search_queries, "COUNT_CAP", 2)
    found = search_queries.page_of(db.session, caseworker, search_queries.read_query("佐藤"), sort="due", page=1,
                                   per_page=50)
    assert found.capped and found.page.total == 2 and len(found.page.cases) == 2


def test_a_my_number_is_never_searched_from_the_box(make_case, client, caseworker):
    case = make_case()
    login(client, caseworker)
    response = client.get("/search/", query_string={"q": case.registered_number})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "個人番号では、この欄から検索できません" in page
    assert case.registered_number not in page
    with pytest.raises(DomainError, match="個人番号では"):
        search_queries.read_query(" ".join(re.findall("....", case.registered_number)))


def _records() -> list[AccessRecord]:
    return db.session.scalars(sa.select(AccessRecord).order_by(AccessRecord.position)).all()


def test_a_my_number_search_is_recorded_with_its_purpose(make_case, make_org, client, caseworker):
    number = valid_number(77_000_000_001)
    mine, again = make_case(registered_number=number), make_case(registered_number=number)
    make_case(agency_=make_org(name="別市"), registered_number=number)  # another organisation's: not found
    login(client, caseworker)
    response = post_form(client, "/search/number", {"my_number": number, "purpose": "本人からの電話照会に回答するため"},
                         token_from="/search/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and number not in page and f"●●●●●●●●{number[-4:]}" in page
    assert re.findall(r'data-case="(CF-\d+)"', page) == [mine.reference, again.reference]
    assert [(r.user_id, r.case_id, r.what, r.purpose) for r in _records()] == [
        (caseworker.id, mine.id, "number_search", "本人からの電話照会に回答するため"),
        (caseworker.id, again.id, "number_search", "本人からの電話照会に回答するため")]
    # found nothing (the number of nobody, written 4-4-4 in full-width digits): recorded all the same
    nobody = valid_number(77_000_000_099)
    written = "－".join(re.findall("....", nobody)).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    page = post_form(client, "/search/number", {"my_number": written, "purpose": "本人確認"},
                     token_from="/search/").get_data(as_text=True)
    assert "該当する案件はありません" in page
    last = _records()[-1]
    assert (last.case_id, last.what, last.purpose) == (None, "number_search", "本人確認")
    assert verify_chain(db.session).ok


def test_an_invalid_number_or_no_purpose_is_refused_and_not_recorded(make_case, client, caseworker):
    case = make_case()
    login(client, caseworker)
    wrong = case.registered_number[:11] + str((int(case.registered_number[11]) + 1) % 10)
    response = post_form(client, "/search/number", {"my_number": wrong, "purpose": "照会のため"}, token_from="/search/")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "検査用数字が一致しません" in page and wrong not in page
    response = post_form(client, "/search/number", {"my_number": case.registered_number, "purpose": " "},
                         token_from="/search/")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "目的を入力してください" in page
    assert case.registered_number not in page
    assert _records() == []


def test_the_keys_follow_the_facts(make_case, caseworker):
    case = make_case(registry_name=None, registry_kana=None, registry_birth_date=None)
    assert _found(caseworker, "渡辺三郎") == set()
    # registry facts entered later: whoever writes them calls index_case
    case.registry_name, case.registry_kana = "渡邊　三郎", "ワタナベ　サブロウ"
    index_case(case)
    assert _found(caseworker, "渡辺三郎") == _found(caseworker, "ﾜﾀﾅﾍﾞ") == _ids(case)
    # reindex writes them all again
    db.session.execute(sa.delete(CaseSearchKey))
    assert _found(caseworker, "渡辺三郎") == set()
    assert reindex(db.session) >= 1
    assert _found(caseworker, "渡辺三郎") == _ids(case)


def test_cases_opened_in_bulk_get_their_keys(agency, program, caseworker):
    rows = [{"program_id": program.id, "agency_id": agency.id, "source_record_id": f"B{n}",
             "registered_number": valid_number(78_000_000_000 + n), "record_name": f"髙木　{name}",
             "record_kana": "タカギ", "record_birth_date": dt.date(1975, 4, n + 1), "registry_name": "高木　五郎",
             "registry_kana": None, "registry_birth_date": None, "grade": Grade.B, "field_verdicts": {}}
            for n, name in enumerate(("一", "二", "三"))]
    assert kernel.open_cases(db.session, rows) == 3
    assert len(_found(caseworker, "高木")) == 3
    assert len(_found(caseworker, "高木五郎")) == 3
    assert len(_found(caseworker, "昭和50年4月2日")) == 1


def test_retention_purges_the_keys(make_case, caseworker):
    case = make_case(CaseStatus.NOTIFIED, record_name="廃棄　確認")
    assert _found(caseworker, "廃棄確認") == _ids(case)
    purge(db.session, today=today_jst() + dt.timedelta(days=6 * 366), default_years=5)
    assert db.session.scalars(sa.select(CaseSearchKey).where(CaseSearchKey.case_id == case.id)).all() == []
    assert _found(caseworker, "廃棄確認") == set()
    assert _found(caseworker, case.reference) == _ids(case)  # the reference stays
    record = db.session.scalars(sa.select(Disposal).where(Disposal.case_id == case.id)).one()
    assert "検索用のハッシュ" in record.what


def test_the_search_is_for_those_who_see_cases(make_user, client):
    admin = make_user(Role.ADMINISTRATOR)
    login(client, admin)
    assert 'id="site-search-q"' not in client.get("/account/password").get_data(as_text=True)
    assert client.get("/search/", query_string={"q": "山田"}).status_code == 403


def test_the_search_reindex_command(committed_app):
    runner = committed_app.test_cli_runner()
    result = runner.invoke(main, ["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "検索用キーを作り直しました" in result.output
