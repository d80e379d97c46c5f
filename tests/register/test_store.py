"""The register through its API and CLI, on SQLite and PostgreSQL: storing, identity,
reproduce, stages, committee, promises, actuals, list filters, rescreen, export."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from screening.cases import load_case
from screening.cli import main
from screening.register import Register
from screening.register.store import Filters
from tests.register.conftest import beihai_rows, write_jsonl

AS_OF = "2025-06-30"
BEIHAI = "parks/beihai-tieshangang-2023"


def cli(*args: str, code: int = 0) -> str:
    """Run `screening …` in-process; check the exit code; stdout (and stderr on failure)."""
    result = CliRunner().invoke(main, list(args), env={"SCREENING_USER": "测试员"})
    assert result.exit_code == code, (
        result.exit_code,
        result.stdout,
        result.stderr,
        result.exception,
    )
    return result.stdout if code == 0 else result.stderr


def stored(db_url: str, tmp_path: Path, n: int = 40) -> Path:
    source = write_jsonl(tmp_path / "leads.jsonl", beihai_rows(n))
    cli(
        "register",
        "import",
        str(source),
        "--rules",
        BEIHAI,
        "--as-of",
        AS_OF,
        "--db",
        db_url,
        "--jobs",
        "1",
    )
    return source


def count(db_url: str, table: str) -> int:
    from sqlalchemy import text

    with Register.open(db_url) as register, register.read() as conn:
        return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_import_stores_every_row_once_and_again_adds_nothing(
    db_url: str, tmp_path: Path
) -> None:
    source = stored(db_url, tmp_path)
    assert (count(db_url, "leads"), count(db_url, "screenings")) == (40, 40)
    assert count(db_url, "ruleset_snapshots") == 1
    again = CliRunner().invoke(
        main,
        [
            "register",
            "import",
            str(source),
            "--rules",
            BEIHAI,
            "--as-of",
            AS_OF,
            "--db",
            db_url,
            "--jobs",
            "1",
        ],
    )
    assert again.exit_code == 0
    assert "存入 0 次筛查" in again.stderr and "已有 40" in again.stderr
    assert (count(db_url, "leads"), count(db_url, "screenings")) == (40, 40)


def test_batch_register_lines_are_reproduced_byte_for_byte(
    db_url: str, tmp_path: Path
) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", beihai_rows(30))
    out = tmp_path / "out.jsonl"
    cli(
        "batch",
        str(source),
        "--rules",
        BEIHAI,
        "--as-of",
        AS_OF,
        "-o",
        str(out),
        "--jobs",
        "1",
        "--register",
        db_url,
    )
    lines = out.read_bytes().splitlines(keepends=True)
    with Register.open(db_url) as register:
        ids = [
            s["id"]
            for key in ("bh-000000", "bh-000007", "bh-000029")
            for s in register.lead(key)["screenings"]
        ]
        for screening_id in ids:
            line, same = register.reproduce(screening_id)
            row = register.screening(screening_id)["source"]["row"]
            assert same and line == lines[row - 1]
    # the CLI prints the very bytes
    result = CliRunner().invoke(
        main, ["register", "reproduce", str(ids[1]), "--db", db_url]
    )
    assert result.exit_code == 0 and result.stdout_bytes == lines[7]


def test_reproduce_uses_the_snapshot_not_the_files_as_they_are_now(
    db_url: str, tmp_path: Path
) -> None:
    rules = tmp_path / "rules.yaml"
    text = (Path("rules/parks/beihai-tieshangang-2023.yaml")).read_text(
        encoding="utf-8"
    )
    rules.write_text(text, encoding="utf-8")
    source = write_jsonl(tmp_path / "in.jsonl", beihai_rows(5))
    out = tmp_path / "out.jsonl"
    cli(
        "batch",
        str(source),
        "--rules",
        str(rules),
        "--as-of",
        AS_OF,
        "-o",
        str(out),
        "--jobs",
        "1",
        "--register",
        db_url,
    )
    rules.write_text(
        text.replace("250", "260"), encoding="utf-8"
    )  # the policy changed since
    assert rules.read_text(encoding="utf-8") != text
    first = out.read_bytes().splitlines(keepends=True)[0]
    with Register.open(db_url) as register:
        sid = register.lead("bh-000000")["screenings"][0]["id"]
        line, same = register.reproduce(sid)
        english, _ = register.reproduce(sid, lang="en")
    assert same and line == first
    assert (
        json.loads(english)["decision"] == json.loads(first)["decision"]
        and english != first
    )


def test_reimport_of_the_same_lead_updates_it_and_keeps_its_history(
    db_url: str, tmp_path: Path
) -> None:
    rows = beihai_rows(5)
    stored_source = write_jsonl(tmp_path / "a.jsonl", rows)
    cli(
        "register",
        "import",
        str(stored_source),
        "--rules",
        BEIHAI,
        "--as-of",
        AS_OF,
        "--db",
        db_url,
        "--jobs",
        "1",
    )
    rows[2]["investment"]["fixed_assets"] = "99999"
    rows[2]["name"] = "改名后的项目"
    cli(
        "register",
        "import",
        str(write_jsonl(tmp_path / "b.jsonl", rows)),
        "--rules",
        BEIHAI,
        "--as-of",
        AS_OF,
        "--db",
        db_url,
        "--jobs",
        "1",
    )
    assert (count(db_url, "leads"), count(db_url, "screenings")) == (5, 6)
    with Register.open(db_url) as register:
        lead = register.lead("bh-000002")
        history = register.history("bh-000002")
    assert lead["name"] == "改名后的项目" and len(lead["screenings"]) == 2
    assert lead["screenings"][0]["values"]["investment.fixed_assets"] != Decimal(
        "99999"
    )
    changed = [e["detail"]["changed"] for e in history if e["what"] == "screening"]
    assert changed == [None, ["investment.fixed_assets", "name"]]
    text = cli("register", "history", "bh-000002", "--db", db_url)
    assert "资料变更：固定资产投资、项目名称" in text
    english = cli("register", "history", "bh-000002", "--db", db_url, "--lang", "en")
    assert "changed: fixed-asset investment, project name" in english


def test_a_lead_without_an_id_is_found_again_by_company_and_name(
    db_url: str, tmp_path: Path
) -> None:
    rows = beihai_rows(3)
    for row in rows:
        del row["id"]
    rows[1]["company"] = (
        rows[0]["company"] + " "
    )  # the same company, typed with a space
    rows[1]["name"] = rows[0]["name"]
    first = write_jsonl(tmp_path / "a.jsonl", rows)
    cli(
        "register",
        "import",
        str(first),
        "--rules",
        BEIHAI,
        "--as-of",
        AS_OF,
        "--db",
        db_url,
        "--jobs",
        "1",
    )
    assert count(db_url, "leads") == 2 and count(db_url, "companies") == 2
    # later the same project comes with an official id: the lead takes it, no new lead
    rows[0]["id"] = "TSG-2025-001"
    rows[0]["output"]["employees"] = "401"
    cli(
        "register",
        "import",
        str(write_jsonl(tmp_path / "b.jsonl", rows[:1])),
        "--rules",
        BEIHAI,
        "--as-of",
        AS_OF,
        "--db",
        db_url,
        "--jobs",
        "1",
    )
    assert count(db_url, "leads") == 2
    with Register.open(db_url) as register:
        lead = register.lead("TSG-2025-001")  # found by the id it was given
        assert lead["key"].startswith("L") and lead["project_id"] == "TSG-2025-001"
        assert len(lead["screenings"]) == 3


def test_add_project_files_and_show(db_url: str) -> None:
    text = cli(
        "register",
        "add",
        "cases/beihai/bh01-iron-phosphate-pass.yaml",
        "cases/beihai/bh07-intensity-below.yaml",
        "--as-of",
        AS_OF,
        "--db",
        db_url,
    )
    assert "bh-001\t通过" in text and "bh-007\t否决" in text
    shown = cli("register", "show", "bh-007", "--db", db_url)
    assert (
        "投资强度" in shown and "investment.intensity" not in shown
    )  # titles, not ids, in Chinese
    english = cli("register", "show", "bh-007", "--db", db_url, "--lang", "en")
    assert "decision: reject" in english
    data = json.loads(
        cli("register", "show", "bh-007", "--db", db_url, "--format", "json")
    )
    assert data["decision"] == "reject" and data["screenings"][0]["actor"] == "测试员"


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--park", "铁山港工业区"], lambda r: r["park"] == "铁山港工业区"),
        (["--decision", "reject"], lambda r: r["decision"] == "reject"),
        (["--industry", "C26"], lambda r: r["industry"].startswith("C26")),
        (["--industry", "C2613"], lambda r: r["industry"] == "C2613"),
        (["--min-investment", "5亿"], lambda r: r["investment_total"] >= 50000),
        (
            ["--min-investment", "3000万", "--max-investment", "4亿"],
            lambda r: 3000 <= r["investment_total"] < 40000,
        ),
        (["--stage", "签约"], lambda r: r["stage"] == "签约"),
    ],
)
def test_list_filters(
    db_url: str, tmp_path: Path, args: list[str], expected: object
) -> None:
    stored(db_url, tmp_path)
    cli(
        "register", "stage", "bh-000003", "签约", "--date", "2025-03-01", "--db", db_url
    )
    data = json.loads(
        cli("register", "list", *args, "--all", "--format", "json", "--db", db_url)
    )
    everything = json.loads(
        cli("register", "list", "--all", "--format", "json", "--db", db_url)
    )["leads"]
    want = sorted(r["key"] for r in everything if expected(r))  # type: ignore[operator]
    assert (
        want
        and sorted(r["key"] for r in data["leads"]) == want
        and data["total"] == len(want)
    )


@pytest.mark.parametrize(
    "command",
    [
        ["list"],
        ["rescreen", "--rules", BEIHAI],
        ["export", "-o", "{tmp}/leads.xlsx"],
    ],
)
def test_a_bad_filter_is_one_clear_line_in_every_command_that_filters(
    db_url: str, tmp_path: Path, command: list[str]
) -> None:
    stored(db_url, tmp_path, 2)
    command = [part.format(tmp=tmp_path) for part in command]
    for bad, says in (
        (["--min-investment", "很多"], "--min-investment: 无法识别的数值 '很多'"),
        (["--stage", "开张"], "开张"),
    ):
        error = cli("register", *command, *bad, "--db", db_url, code=2)
        assert says in error and "Traceback" not in error, error
    assert not (tmp_path / "leads.xlsx").exists()


def test_list_by_registration_date(db_url: str, tmp_path: Path) -> None:
    stored(db_url, tmp_path, 4)
    cli(
        "register", "stage", "bh-000001", "签约", "--date", "2024-05-01", "--db", db_url
    )  # moves 洽谈 back
    data = json.loads(
        cli(
            "register", "list", "--to", "2024-12-31", "--format", "json", "--db", db_url
        )
    )
    assert [r["key"] for r in data["leads"]] == ["bh-000001"]
    text = cli(
        "register", "list", "--from", "2024-01-01", "--to", "2024-12-31", "--db", db_url
    )
    assert "共 1 个项目" in text


def test_stages_in_order_and_refusals_write_nothing(
    db_url: str, tmp_path: Path
) -> None:
    stored(db_url, tmp_path, 3)
    lead = "bh-000001"
    for stage, day in (
        ("签约", "2025-01-10"),
        ("供地", "2025-02-01"),
        ("开工", "2025-03-01"),
    ):
        cli("register", "stage", lead, stage, "--date", day, "--db", db_url)
    future = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    refusals = [
        (["签约", "--date", "2025-04-01"], "之前"),  # back
        (["达产", "--date", "2025-04-01"], "跳过了 投产"),  # skipped
        (["投产", "--date", "2025-02-15"], "早于"),  # before the current stage's date
        (["投产", "--date", future], "晚于今天"),
        (["终止", "--date", "2025-04-01"], "--reason"),
        (["投产", "--date", "2025-02-15", "--override"], "--note"),
        (["上市", "--date", "2025-04-01"], "未知阶段"),
    ]
    for args, words in refusals:
        message = cli("register", "stage", lead, *args, "--db", db_url, code=2)
        assert words in message and "Traceback" not in message
        assert len(message.strip().splitlines()) == 1
    assert count(db_url, "stage_events") == 3
    cli(
        "register",
        "stage",
        lead,
        "达产",
        "--date",
        "2025-04-01",
        "--override",
        "--note",
        "一期直接达产",
        "--db",
        db_url,
    )
    cli(
        "register",
        "stage",
        lead,
        "退出",
        "--date",
        "2025-05-01",
        "--reason",
        "企业经营困难",
        "--db",
        db_url,
    )
    cli(
        "register",
        "stage",
        lead,
        "开工",
        "--date",
        "2025-05-02",
        "--db",
        db_url,
        code=2,
    )
    with Register.open(db_url) as register:
        shown = register.lead(lead)
    assert shown["stage"] == "退出" and shown["ended_on"] == dt.date(2025, 5, 1)
    assert shown["started_on"] == dt.date(2025, 3, 1) and shown["producing_on"] is None
    assert [e["override"] for e in shown["stages"]] == [
        False,
        False,
        False,
        True,
        False,
    ]
    message = cli("register", "stage", "no-such-lead", "签约", "--db", db_url, code=2)
    assert "没有项目 'no-such-lead'" in message


def test_committee_decision_beside_the_engines_and_the_veto_holds(
    db_url: str, tmp_path: Path
) -> None:
    cli(
        "register",
        "add",
        "cases/beihai/bh01-iron-phosphate-pass.yaml",
        "--as-of",
        AS_OF,
        "--db",
        db_url,
    )
    vetoed = tmp_path / "vetoed.yaml"
    vetoed.write_text(
        Path("cases/beihai/bh01-iron-phosphate-pass.yaml")
        .read_text(encoding="utf-8")
        .replace("id: bh-001", "id: bh-v01")
        .replace("in_red_line: false", "in_red_line: true"),
        encoding="utf-8",
    )
    cli(
        "register",
        "add",
        str(vetoed),
        "--as-of",
        AS_OF,
        "--db",
        db_url,
        "--rules",
        BEIHAI,
    )
    for key in ("bh-001", "bh-v01"):  # in negotiation before the meetings below
        cli("register", "stage", key, "洽谈", "--date", "2025-06-01", "--db", db_url)
    cli(
        "register",
        "committee",
        "bh-001",
        "暂缓",
        "--meeting-date",
        "2025-07-01",
        "--note",
        "补充能评",
        "--db",
        db_url,
    )
    cli(
        "register",
        "committee",
        "bh-001",
        "同意",
        "--meeting-date",
        "2025-08-01",
        "--db",
        db_url,
    )
    message = cli(
        "register",
        "committee",
        "bh-v01",
        "同意",
        "--meeting-date",
        "2025-08-01",
        "--db",
        db_url,
        code=2,
    )
    assert "一票否决" in message
    cli(
        "register",
        "committee",
        "bh-v01",
        "不同意",
        "--meeting-date",
        "2025-08-01",
        "--db",
        db_url,
    )
    future = (dt.date.today() + dt.timedelta(days=3)).isoformat()
    cli(
        "register",
        "committee",
        "bh-001",
        "同意",
        "--meeting-date",
        future,
        "--db",
        db_url,
        code=2,
    )
    cli(
        "register",
        "committee",
        "bh-001",
        "通过吧",
        "--meeting-date",
        "2025-08-01",
        "--db",
        db_url,
        code=2,
    )
    with Register.open(db_url) as register:
        lead = register.lead("bh-001")
    assert lead["decision"] == "pass" and lead["committee"] == "同意"
    assert [c["decision"] for c in lead["committee_decisions"]] == ["暂缓", "同意"]
    assert (
        lead["committee_decisions"][0]["screening_id"] == lead["screenings"][-1]["id"]
    )
    assert count(db_url, "committee_decisions") == 3


def test_promises_and_actuals(db_url: str, tmp_path: Path) -> None:
    stored(db_url, tmp_path, 2)
    cli(
        "register",
        "promise",
        "bh-000000",
        "--total",
        "3.5亿",
        "--fixed-assets",
        "28000",
        "--land",
        "5.3公顷",
        "--tax",
        "1500万",
        "--employees",
        "300",
        "--start-by",
        "2025-09-30",
        "--db",
        db_url,
    )
    cli(
        "register",
        "actual",
        "bh-000000",
        "--date",
        "2025-06-30",
        "--invested",
        "1.2亿",
        "--year",
        "2025",
        "--db",
        db_url,
    )
    for args, words in (
        (["promise", "bh-000000", "--total", "3.5亿美元"], "单位"),
        (["promise", "bh-000000", "--employees", "3.5"], "整数"),
        (["promise", "bh-000000", "--total", "1.000001万"], "四位小数"),
        (["promise", "bh-000000"], "没有给出"),
        (["actual", "bh-000000", "--invested", "-5"], "不小于 0"),
        (
            ["actual", "bh-000000", "--invested", "5", "--date", "2999-01-01"],
            "晚于今天",
        ),
        (["actual", "nobody", "--invested", "5"], "没有项目"),
    ):
        message = cli("register", *args, "--db", db_url, code=2)
        assert words in message, message
    with Register.open(db_url) as register:
        lead = register.lead("bh-000000")
    promise = lead["promises"][0]
    assert promise["total_investment"] == Decimal(35000) and promise[
        "land_mu"
    ] == Decimal("79.5")
    assert promise["employees"] == 300 and lead["promised_total"] == Decimal(35000)
    assert lead["actuals"][0]["invested"] == Decimal(12000)
    assert (count(db_url, "promises"), count(db_url, "actuals")) == (1, 1)


def test_rescreen_shows_the_impact_and_stores_trial_results(
    db_url: str, tmp_path: Path
) -> None:
    stored(db_url, tmp_path, 20)
    draft = tmp_path / "draft.yaml"
    draft.write_text(
        Path("rules/parks/beihai-tieshangang-2023.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "require: investment_intensity >= 250",
            "require: investment_intensity >= 400",
        ),
        encoding="utf-8",
    )
    with Register.open(db_url) as register:
        before = {r["key"]: r["decision"] for r in register.leads(limit=None)[1]}
    result = CliRunner().invoke(
        main,
        [
            "register",
            "rescreen",
            "--rules",
            str(draft),
            "--as-of",
            AS_OF,
            "--db",
            db_url,
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    impact = json.loads(result.stdout)
    assert (
        impact["projects"] == 20
        and impact["changes"][0]["name"] == "investment_intensity.parcel"
    )
    assert impact["decision_changes"] and all(
        d["after"] == "reject" for d in impact["decision_changes"]
    )
    assert "rule change impact" in cli(
        "register",
        "rescreen",
        "--rules",
        str(draft),
        "--as-of",
        AS_OF,
        "--park",
        "临海工业区",
        "--db",
        db_url,
    )
    with Register.open(db_url) as register:
        assert {
            r["key"]: r["decision"] for r in register.leads(limit=None)[1]
        } == before  # a trial
    assert count(db_url, "screenings") == 40
    cli(
        "register",
        "rescreen",
        "--rules",
        str(draft),
        "--as-of",
        AS_OF,
        "--adopt",
        "--db",
        db_url,
    )
    with Register.open(db_url) as register:
        after = {r["key"]: r["decision"] for r in register.leads(limit=None)[1]}
    changed = {d["project"] for d in impact["decision_changes"]}
    assert {k for k in before if before[k] != after[k]} == changed
    assert (
        count(db_url, "screenings") == 40
    )  # the adopted results are the same screenings: no duplicates


def test_export_to_xlsx(db_url: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    stored(db_url, tmp_path, 6)
    cli(
        "register", "stage", "bh-000001", "签约", "--date", "2025-01-10", "--db", db_url
    )
    cli(
        "register",
        "committee",
        "bh-000001",
        "同意",
        "--meeting-date",
        "2025-01-10",  # not before its 洽谈 (moved back to the signing day)
        "--db",
        db_url,
    )
    out = tmp_path / "export.xlsx"
    CliRunner().invoke(
        main,
        ["register", "export", "-o", str(out), "--park", "临海工业区", "--db", db_url],
    )
    book = load_workbook(out, read_only=True)
    rows = {
        sheet.title: list(sheet.iter_rows(values_only=True))
        for sheet in book.worksheets
    }
    assert list(rows) == ["项目", "筛查", "阶段", "委员会", "承诺", "实绩"]
    assert len(rows["项目"]) == 4 and {r[3] for r in rows["项目"][1:]} == {"临海工业区"}
    assert len(rows["筛查"]) == 4 and rows["阶段"][1][:3] == (
        "bh-000001",
        "签约",
        "2025-01-10",
    )
    assert rows["委员会"][1][1] == "同意"


def test_filters_on_the_api(db_url: str, tmp_path: Path) -> None:
    stored(db_url, tmp_path, 10)
    with Register.open(db_url) as register:
        total, page = register.leads(Filters(park="铁山港工业区"), limit=2)
        assert total == 5 and len(page) == 2 and page[0]["lead_pk"] > page[1]["lead_pk"]


def test_a_broad_filter_reads_its_page_in_id_order_with_the_same_result(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import screening.register.store as store

    stored(db_url, tmp_path, 30)
    filters = Filters(industry="C26", min_investment=Decimal(3000), park="铁山港工业区")
    with Register.open(db_url) as register:
        narrow = register.leads(filters, limit=5, offset=2)
        monkeypatch.setattr(store, "_BROAD", 0)  # every filter counts as broad
        broad = register.leads(filters, limit=5, offset=2)
    assert narrow == broad and narrow[0] > 7


def test_import_of_jsonl_blocks_is_the_same_whatever_the_jobs(tmp_path: Path) -> None:
    """With several jobs a JSONL input reaches the workers as blocks of lines they
    split themselves (`RowStream.blocks`): the same rows stored, the same bad lines
    reported with their line numbers, as one job reading it line by line."""
    lines = [json.dumps(r, ensure_ascii=False) for r in beihai_rows(30)]
    lines[4] = "{not json"
    lines[11] = "[" * 100_000 + "]" * 100_000  # nested past any parser's depth
    bad = json.loads(lines[20])
    bad["land"]["area_mu"] = "-5"
    lines[20] = json.dumps(bad, ensure_ascii=False)
    source = tmp_path / "leads.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reports = {}
    for jobs in ("1", "2"):
        db = f"sqlite:///{tmp_path / f'jobs{jobs}.db'}"
        result = CliRunner().invoke(
            main,
            ["register", "import", str(source), "--rules", BEIHAI, "--as-of", AS_OF]
            + ["--db", db, "--jobs", jobs],
            env={"SCREENING_USER": "测试员"},
        )
        assert result.exit_code == 0, result.stderr
        with Register.open(db) as register:
            leads = sorted(lead["project_id"] for lead in register.leads(limit=None)[1])
        *errors, closing = result.stderr.splitlines()
        assert closing.startswith(
            "共 30 行：存入 27 次筛查（新项目 27，更新 0），已有 0，无效 3"
        )
        reports[jobs] = (errors, leads)
    assert reports["1"] == reports["2"]
    errors, leads = reports["2"]
    assert [line.split(":")[1].split()[0] for line in errors] == ["5", "12", "21"]
    assert len(leads) == 27 and "bh-000004" not in leads


def test_show_and_history_name_a_rule_set_s_own_inputs_by_their_titles(
    db_url: str, tmp_path: Path
) -> None:
    # bh14 lacks the Beihai rule set's own input 建筑密度, then gives it: named by its
    # title in the screening's rule set, never as extra.building_density
    case = (
        Path(__file__).resolve().parents[2]
        / "cases/beihai/bh14-missing-building-density.yaml"
    )
    project = load_case(case).project.model_dump(mode="json", exclude_none=True)
    given = {**project, "extra": {**project.get("extra", {}), "building_density": 0.42}}
    for row in (project, given):
        source = write_jsonl(tmp_path / "in.jsonl", [row])
        cli("register", "import", str(source), "--rules", BEIHAI, "--db", db_url)
    key = project["id"]
    shown = cli("register", "show", key, "--db", db_url)
    title = "建筑密度（建筑物基底面积占用地面积比例）"
    assert f"缺数据: {title}" in shown and "extra." not in shown
    assert f"资料变更：{title}" in cli("register", "history", key, "--db", db_url)
    english = cli("register", "show", key, "--db", db_url, "--lang", "en")
    assert "missing: building density (building footprint ÷ site area)" in english
