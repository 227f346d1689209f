"""``canhgac rules``: the rule packs, listed, checked and tried on facts (reads no database; needs the
server extra)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from agent.wire import clock
from canhgac.cli_support import echo_json

RULES_DIR = click.option("--rules-dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
                         envvar="CANHGAC_RULES_DIR", show_envvar=True, default=None,
                         help="Folder of the operator's own packs (*.yaml), loaded after the built-in ones.")


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
    from rules.model import RuleScope

    loaded = load_file(file)
    ruleset, errors = compile_rules(loaded.rules)
    for error in [*loaded.errors, *errors]:
        click.echo(f"{error}", err=True)
    try:
        facts = flatten_facts(json.loads(facts_file.read_text(encoding="utf-8")))
    except (ValueError, AttributeError) as exc:
        raise click.ClickException(f"{facts_file}: not a JSON object of facts ({exc})") from None
    findings = {f.rule_id: f for f in evaluate(ruleset, facts, clock.utcnow(), scope=RuleScope(scope))}
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
