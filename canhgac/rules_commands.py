"""``canhgac rules``, ``canhgac licences``, ``canhgac alerts``: thin commands over rules/ and
collector.store (server extra). ``rules`` reads no database."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click
import msgspec

from agent.wire import clock
from canhgac.cli_support import cli_errors, db_session, echo_json
from canhgac.collector_options import db_option
from collector.store import alerts as alert_store
from collector.store import licences as licence_store
from collector.store.scope import EVERYTHING

RULES_DIR = click.option("--rules-dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
                         envvar="CANHGAC_RULES_DIR", show_envvar=True, default=None,
                         help="Folder of the operator's own packs (*.yaml), loaded after the built-in ones.")


# --- rules ----------------------------------------------------------------------------------


@click.group("rules")
def rules() -> None:
    """Rule packs (quy tắc): list, check a pack, try a pack on facts."""


@rules.command("list")
@RULES_DIR
@click.option("--json", "as_json", is_flag=True, help="JSON instead of a table.")
def rules_list(rules_dir: Path | None, as_json: bool) -> None:
    """List the rules in force (built-in packs plus --rules-dir)."""
    from rules.loader import load_packs

    loaded = load_packs(rules_dir)
    data = [{"id": r.id, "pack": r.pack, "severity": str(r.severity), "scope": str(r.scope), "roles": sorted(r.roles),
             "title": {"vi": r.title.vi, "en": r.title.en}, "parameters": dict(r.parameters),
             "condition": r.condition, "sources": [s.text for s in r.sources]} for r in loaded.rules]
    if as_json:
        echo_json(data)
    else:
        for row in data:
            click.echo(f"{row['id']:<34} {row['severity']:<9} {row['scope']:<8} {row['title']['vi']}")
        click.echo(f"{len(data)} quy tắc / rules", err=True)
    for error in loaded.errors:
        click.echo(f"lỗi / error: {error}", err=True)
    if loaded.errors:
        raise SystemExit(1)


@rules.command("check")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def rules_check(file: Path) -> None:
    """Validate the pack FILE: YAML, fields, CEL, facts, parameters and its own examples."""
    from rules.engine import compile_rule, run_example
    from rules.loader import load_file
    from rules.model import Outcome, RuleError

    loaded = load_file(file)
    errors = list(loaded.errors)
    now = clock.utcnow()
    for rule in loaded.rules:
        try:
            compile_rule(rule)
            for example in rule.examples:
                outcome = run_example(rule, example.facts, example.parameters, now)
                expected = Outcome.FIRING if example.fires else Outcome.PASSING
                if outcome is not expected:
                    errors.append(RuleError(str(file), rule.line, f"rule {rule.id!r}: example {dict(example.facts)} "
                                                                  f"gave {outcome}, expected {expected}"))
        except RuleError as exc:
            errors.append(exc)
    for error in errors:
        click.echo(f"{error}", err=True)
    if errors:
        raise click.ClickException(f"{len(errors)} lỗi / errors in {file}")
    click.echo(f"OK: {len(loaded.rules)} quy tắc / rules in {file}")


@rules.command("test")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--facts", "facts_file", required=True, type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="JSON object of facts (dotted or nested: {\"av\": {\"installed\": false}}).")
@click.option("--scope", type=click.Choice(["machine", "unit"]), default="machine", show_default=True)
@click.option("--json", "as_json", is_flag=True)
def rules_test(file: Path, facts_file: Path, scope: str, as_json: bool) -> None:
    """Show which rules of FILE fire on the facts, and why."""
    from rules.engine import compile_rules, evaluate, explain
    from rules.loader import flatten_facts, load_file
    from rules.model import Scope

    loaded = load_file(file)
    ruleset, errors = compile_rules(loaded.rules)
    for error in [*loaded.errors, *errors]:
        click.echo(f"{error}", err=True)
    try:
        facts = flatten_facts(json.loads(facts_file.read_text(encoding="utf-8")))
    except (ValueError, AttributeError) as exc:
        raise click.ClickException(f"{facts_file}: not a JSON object of facts ({exc})") from None
    findings = {f.rule_id: f for f in evaluate(ruleset, facts, clock.utcnow(), scope=Scope(scope))}
    rows = []
    for item in ruleset.rules:
        finding = findings.get(item.rule.id)
        outcome = str(finding.outcome) if finding else "passing"
        rows.append({"id": item.rule.id, "outcome": outcome, "severity": str(item.rule.severity),
                     "why": finding.reason if finding and finding.reason else explain(item, facts)})
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['outcome']:<8} {row['severity']:<9} {row['id']:<34} {row['why']}")


# --- licences -------------------------------------------------------------------------------


@click.group("licences")
def licences() -> None:
    """The licence register (sổ giấy phép): what the office bought."""


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r}: use YYYY-MM-DD") from None


@licences.command("add")
@click.option("--product", required=True, help="Product name, e.g. 'Kaspersky Endpoint Security'.")
@click.option("--match", "pattern", required=True, help="Name pattern, case-insensitive, * wildcards: '*kaspersky*'.")
@click.option("--seats", required=True, type=click.IntRange(min=0))
@click.option("--expires", required=True, callback=_date, metavar="YYYY-MM-DD")
@click.option("--starts", default=None, callback=_date, metavar="YYYY-MM-DD")
@click.option("--unit", "unit_code", required=True, metavar="CODE", help="Seats cover this unit's subtree.")
@db_option
@cli_errors
def licences_add(product: str, pattern: str, seats: int, expires: date, starts: date | None, unit_code: str,
                 db_url: str | None) -> None:
    """Register a licence."""
    with db_session(db_url) as session:
        row = licence_store.add_licence(session, product, pattern, seats, expires, unit_code, clock.utcnow(), starts)
    click.echo(f"Đã thêm giấy phép / licence added: #{row.id} {row.product} x{row.seats} ({row.unit_code}), "
               f"hết hạn / expires {row.expires_on:%d/%m/%Y}")


@licences.command("list")
@click.option("--json", "as_json", is_flag=True)
@db_option
@cli_errors
def licences_list(as_json: bool, db_url: str | None) -> None:
    """List the register."""
    with db_session(db_url) as session:
        rows = licence_store.list_licences(session, EVERYTHING)
    if as_json:
        echo_json(msgspec.to_builtins(rows))
        return
    for row in rows:
        click.echo(f"{row.id:>5}  {row.product:<32} {row.pattern:<20} {row.seats:>5}  {row.unit_code:<14} "
                   f"{row.expires_on:%d/%m/%Y}")


# --- alerts ---------------------------------------------------------------------------------


@click.group("alerts")
def alerts() -> None:
    """Alerts (cảnh báo): list and acknowledge."""


@alerts.command("list")
@click.option("--status", type=click.Choice(["open", "acknowledged", "resolved"]), default=None)
@click.option("--unit", "unit_code", default=None, metavar="CODE", help="Only this unit's subtree.")
@click.option("--json", "as_json", is_flag=True)
@db_option
@cli_errors
def alerts_list(status: str | None, unit_code: str | None, as_json: bool, db_url: str | None) -> None:
    """List alerts, newest change first."""
    with db_session(db_url) as session:
        rows, total = alert_store.list_alerts(session, EVERYTHING, status, unit_code, limit=1_000_000)
    if as_json:
        echo_json(msgspec.to_builtins(rows))
        return
    for row in rows:
        click.echo(f"{row.id:>6}  {row.status:<12} {row.severity:<9} {row.unit_code:<12} {row.subject:<16} "
                   f"x{row.count:<4} {row.title}")
    click.echo(f"{total} cảnh báo / alerts", err=True)


@alerts.command("ack")
@click.argument("alert_id", type=int)
@click.option("--comment", required=True, help="What is being done about it.")
@click.option("--by", "who", default="cli", show_default=True, help="Who acknowledges.")
@db_option
@cli_errors
def alerts_ack(alert_id: int, comment: str, who: str, db_url: str | None) -> None:
    """Acknowledge alert ALERT_ID."""
    with db_session(db_url) as session:
        row = alert_store.ack_alert(session, EVERYTHING, alert_id, who, comment, clock.utcnow())
    click.echo(f"Đã tiếp nhận / acknowledged: #{row.id} {row.title}")
