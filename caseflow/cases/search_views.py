"""The search pages: 検索結果 of the box in every page's header, and the search by My Number (POST)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, render_template, request
from flask_login import current_user, login_required

from caseflow.cases import listing, queue, search_queries
from caseflow.cases.export import HIDDEN
from caseflow.cases.models import Case, mask_number
from caseflow.core.japanese import today_jst
from caseflow.core.pages import action
from caseflow.core.params import parse_count
from caseflow.errors import DomainError
from caseflow.extensions import db
from caseflow.policy import Permission, may, require

bp = Blueprint("search", __name__, url_prefix="/search")


def _render(*, query: search_queries.Query | None = None, results: search_queries.Results | None = None,
            number_results: list[Case] | None = None, searched_number: str = "", status: int = 200):
    today = today_jst()
    return render_template(
        "cases/search.html", query=query, results=results, number_results=number_results,
        searched_number=searched_number, sort=_sort(), sorts=SORT_LABELS, count_cap=search_queries.COUNT_CAP,
        search_text=query.text if query is not None else "",
        may_search_by_number=may(current_user, Permission.CASE_SEARCH_BY_NUMBER),
        shows_facts=lambda case: may(current_user, Permission.CASE_FACTS, case), hidden=HIDDEN,
        is_overdue=lambda case: queue.is_overdue(case, today),
    ), status


SORT_LABELS = {"due": "期限の近い順", "-due": "期限の遠い順", "-detected": "検出の新しい順", "detected": "検出の古い順"}


def _sort() -> str:
    sort = request.args.get("sort", "")
    return sort if sort in listing.SORTS else listing.DEFAULT_SORT


@bp.route("/")
@login_required
def results():
    """検索結果: the cases the viewer may see that the text finds (reference, management number, name, kana, date)."""
    require(current_user, Permission.CASE_SEARCH)
    try:
        query = search_queries.read_query(request.args.get("q"))
    except DomainError as exc:  # a My Number, or too long: said without repeating what was typed
        flash(exc.message, "error")
        return _render(status=exc.status_code)
    if query is None:
        return _render()
    found = search_queries.page_of(db.session, current_user, query, sort=_sort(),
                                   page=parse_count(request.args.get("page", "1")) or 1,
                                   per_page=current_app.config["CASES_PER_PAGE"])
    return _render(query=query, results=found)


def _number_refused(exc: DomainError, **_args):
    """A refused number search shows the search page again with the reason; nothing typed is shown back."""
    return _render(status=exc.status_code)


@bp.route("/number", methods=["POST"])
@login_required
@action(refused=_number_refused)
def by_number():
    """個人番号で検索: exact by the number's look-up digest, with a purpose; every search is recorded first."""
    typed = request.form.get("my_number", "")
    cases = search_queries.search_by_number(db.session, current_user, number=typed, purpose=request.form.get("purpose"),
                                    remote_addr=request.remote_addr)
    return _render(number_results=cases, searched_number=mask_number(search_queries.read_number(typed)))
