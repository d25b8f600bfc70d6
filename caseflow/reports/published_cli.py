"""`caseflow report institutions|detail|agencies|notes|support-tool|trial --dataset 2023`: the other tables
of a published report, every number as printed (text: tab-separated; ``--format csv``: the raw values too).

Registered on the ``report`` group by ``caseflow.reports.cli``.
"""

from __future__ import annotations

import csv
import io
import sys

import click
from flask.cli import with_appcontext

from caseflow.reports.published_tables import SECTIONS
from caseflow.reports.tables import DASH, format_count, format_rate


def _report(dataset: str):
    """The dataset's tables, or a refusal saying how to load them."""
    from caseflow.extensions import db
    from caseflow.reports import published, published_tables

    if dataset not in published.DATASETS:
        raise click.ClickException(f"公表値の区分 {dataset} はありません（{', '.join(published.DATASETS)}）。")
    report = published_tables.published_report(db.session, dataset)
    if not report.programs or not report.notes:
        raise click.ClickException(
            f"公表値（{dataset}）の表はまだ取り込まれていません: caseflow report import-published seed/")
    return report


def _write(rows: list[list], fmt: str) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", **({} if fmt == "csv" else {"delimiter": "\t"}))
    writer.writerows(rows)
    if fmt == "csv":
        sys.stdout.write(out.getvalue())
    else:
        click.echo(out.getvalue(), nl=False)


def _notes_text(notes) -> list[list]:
    """Notes under a text table: 「※1 本文（補足）」, one line each."""
    rows = [[]] if notes else []
    for note in notes:
        head = " ".join(x for x in (note.marker, f"［{note.program_name}］" if note.program_name else "") if x)
        remark = "".join(f"（補足：{r}）" for r in note.remarks)
        rows.append([f"{head} {note.text}{remark}".strip()])
    return rows


_DATASET = click.option("--dataset", default="2023", show_default=True, help="公表値の区分")
_FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "csv"]), default="text", show_default=True)


def register(group: click.Group) -> None:
    """Add the commands to ``caseflow report``."""
    for command in (institutions_command, detail_command, agencies_command, notes_command, support_tool_command,
                    trial_command):
        group.add_command(command)


@click.command("institutions")
@_DATASET
@_FORMAT
@with_appcontext
def institutions_command(dataset: str, fmt: str) -> None:
    """総点検の対象事務・対象機関: the agencies and records per program, as printed, with the footnotes."""
    report = _report(dataset)
    cells = {n.program_name: n.text for n in report.notes if n.section == "institutions" and n.placement == "cell"}
    total_records = sum(x.records for x in report.programs)
    if fmt == "csv":
        rows = [["事務", "点検対象機関数", "点検対象機関数（表記）", "点検対象件数", "点検対象件数（表記）"]]
        rows += [[x.label, x.agencies, cells.get(x.label, f"{x.agencies:,}"), x.records, format_count(x.records, "")]
                 for x in report.programs]
        rows.append(["合計", "", DASH, total_records, format_count(total_records, "")])
        return _write(rows, fmt)
    rows = [[f"{n.text} {n.marker}".strip()] for n in report.section("institutions", "body")]
    rows += [["事務", "点検対象機関数", "点検対象件数"]]
    rows += [[x.label, cells.get(x.label, f"{x.agencies:,}"), format_count(x.records, "")] for x in report.programs]
    rows.append(["合計", DASH, format_count(total_records, "")])
    _write(rows + _notes_text(report.section("institutions", "footnote")), fmt)


@click.command("detail")
@_DATASET
@_FORMAT
@click.option("--program", default=None, help="事務の名前（省略するとすべての事務）")
@with_appcontext
def detail_command(dataset: str, fmt: str, program: str | None) -> None:
    """本人確認作業が終了した事務: per program the exact counts, the agencies with errors and the notes."""
    from caseflow.reports.published_tables import agencies_text

    report = _report(dataset)
    lines = [x for x in report.programs if program in (None, x.label)]
    if not lines:
        raise click.ClickException(f"事務「{program}」は公表値（{dataset}）にありません。")
    header = ["事務", "点検対象件数", "紐付け誤りの件数", "割合", "閲覧された件数", "誤紐付けを解消した件数",
              "紐付け誤りのあった機関"]
    rows = [header]
    for x in lines:
        rate = format_rate(x.rate) if x.errors else DASH
        agencies = agencies_text(report.agencies.get(x.label, []))
        if fmt == "csv":
            rows.append([x.label, x.records, x.errors, f"{x.rate:.3f}" if x.errors else "", x.viewed, x.resolved,
                         agencies])
        else:
            rows.append([x.label, f"{x.records:,}", f"{x.errors:,}件", rate, f"{x.viewed:,}件", f"{x.resolved:,}件",
                         agencies])
    if fmt == "text":
        rows += _notes_text([n for x in lines for n in report.cell("detail", x.label)])
    _write(rows, fmt)


@click.command("agencies")
@_DATASET
@_FORMAT
@click.option("--program", default=None, help="事務の名前（省略すると機関の一覧があるすべての事務）")
@with_appcontext
def agencies_command(dataset: str, fmt: str, program: str | None) -> None:
    """Per agency within a program: the errors each agency found, and the program's total beside it."""
    report = _report(dataset)
    if program is not None and program not in report.agencies:
        listed = "、".join(report.agencies)
        raise click.ClickException(f"事務「{program}」の機関別の公表値はありません（機関別の表がある事務：{listed}）。")
    programs = {x.label: x for x in report.programs}
    rows = [["事務", "機関", "紐付け誤り件数", "件数の記載", "補足"]]
    for name, agencies in report.agencies.items():
        if program not in (None, name):
            continue
        for a in agencies:
            count = a.linkage_errors if fmt == "csv" else f"{a.linkage_errors:,}件"
            stated = "あり" if a.count_published else "なし（事務の件数）"
            rows.append([name, a.agency_name, count, stated, a.remark or ""])
        added = sum(a.linkage_errors for a in agencies)
        label = f"計（{len(agencies)}機関）"
        published = f"事務別の表：{programs[name].errors:,}件"
        rows.append([name, label, added if fmt == "csv" else f"{added:,}件", "", published])
    _write(rows, fmt)


@click.command("notes")
@_DATASET
@_FORMAT
@click.option("--section", type=click.Choice(list(SECTIONS)), default=None, help="報告の部分（省略するとすべて）")
@with_appcontext
def notes_command(dataset: str, fmt: str, section: str | None) -> None:
    """The figures outside the tables (footnotes, sentences, notes in a cell), each with its text."""
    from caseflow.reports.published_tables import parse_figure

    report = _report(dataset)
    rows = [["キー", "区分", "注", "事務", "数字", "値", "約", "本文", "補足"] if fmt == "csv"
            else ["区分", "注", "事務", "数字", "本文", "補足"]]
    for note in report.notes:
        if section not in (None, note.section):
            continue
        remark = " ".join(note.remarks)
        for key, shown in note.figures:
            if fmt == "csv":
                figure = parse_figure(shown) if shown else None
                rows.append([key, note.section, note.marker, note.program_name, shown,
                             "" if figure is None else f"{figure.value.normalize():f}",
                             "yes" if figure and figure.approximate else "", note.text, remark])
            else:
                rows.append([SECTIONS[note.section], note.marker, note.program_name, shown, note.text, remark])
    _write(rows, fmt)


@click.command("support-tool")
@_DATASET
@_FORMAT
@with_appcontext
def support_tool_command(dataset: str, fmt: str) -> None:
    """自治体における点検支援ツールの活用結果: the municipalities, the records and the A/B/C grades."""
    from caseflow.reports.published_tables import grade_text

    report = _report(dataset)
    if fmt == "csv":
        rows = [["判定", "判定の名前", "内容", "件数", "約", "割合（%）", "表記"]]
        rows += [[g.grade, g.label, g.description, g.records, "yes" if g.approximate else "no", g.share_percent,
                  grade_text(g)] for g in report.grades]
        return _write(rows, fmt)
    rows = [[f"{n.text} {n.marker}".strip()] for n in report.section("support_tool", "body")]
    rows += [["判定", "内容", "件数（割合）"]]
    rows += [[g.grade, f"{g.label}（{g.description}）", grade_text(g)] for g in report.grades]
    _write(rows + _notes_text(report.section("support_tool", "footnote")), fmt)


@click.command("trial")
@_DATASET
@_FORMAT
@with_appcontext
def trial_command(dataset: str, fmt: str) -> None:
    """The health-insurance trial: the errors it found, its rates, the mismatches left and the estimate."""
    from caseflow.reports.published_tables import one_decimal

    report = _report(dataset)
    published = report.figure("trial.estimate")
    if fmt == "csv":
        rows = [["番号", "種類", "不一致の種類", "誤登録の発生割合（%）", "不一致データ数", "約", "推計値"]]
        rows += [[x.mark, x.kind, x.label, str(x.rate), x.remaining, "yes" if x.approximate else "no",
                  f"{x.expected.normalize():f}"] for x in report.trial]
        rows.append(["", "", "合計", "", sum(x.remaining for x in report.trial), "", f"{report.trial_expected.normalize():f}"])
        return _write(rows, fmt)
    rows = [[f"{n.text} {n.marker}".strip()] for n in report.section("trial", "body")]
    rows += [["不一致の種類", "誤登録の発生割合", "不一致データ数", "推計値（件数×割合）"]]
    rows += [[f"{x.mark}{x.label}", f"{x.rate}%", x.remaining_text, f"{one_decimal(x.expected)}件"]
             for x in report.trial]
    rows.append(["合計", "", "", f"{one_decimal(report.trial_expected)}件（公表：{published}）"])
    _write(rows + _notes_text(report.section("trial", "footnote")), fmt)
