"""The PowerShell the agent sends, read by a PowerShell parser (tree-sitter's PowerShell grammar,
PyPI tree-sitter-powershell; no PowerShell can be installed from the registries this machine
reaches) and checked for the Windows PowerShell 5.1 traps of shared/reference/endpoint-formats.md
("General Windows trap"): every script parses, uses no PowerShell 7 syntax or parameter, never
pipes into ConvertTo-Json (single-item unrolling) and names its -Depth (default 2 truncates),
prints dates as ISO-8601 UTC itself (5.1 writes ``/Date(ms)/``), returns lists through
``json_rows`` unless its source has one instance, reads localised program text only where the
reader is tested on several languages, and fits Windows' command line once encoded.

What this cannot check: that a cmdlet, CIM class or property exists on a given Windows version,
that a WQL filter is valid, what types PowerShell gives back at run time, or any behaviour: only
a Windows machine running the scripts can (none is reachable here)."""

from __future__ import annotations

import base64
import importlib
import pkgutil
import re
from collections.abc import Iterator

import pytest

import agent.probes
from agent import windows
from agent.probes import network

tree_sitter = pytest.importorskip("tree_sitter", reason="pip install -e '.[dev]' brings tree-sitter")
tree_sitter_powershell = pytest.importorskip("tree_sitter_powershell")

# CreateProcess takes at most 32,767 characters of command line; the rest of the argv is short.
COMMAND_LINE_LIMIT = 32_767 - 200
# PowerShell 7 only (about_Pipeline_Chain_Operators, ConvertTo-Json/ConvertFrom-Json/ForEach-Object docs)
PS7_OPERATORS = frozenset({"&&", "||"})
PS7_PARAMETERS = frozenset({"-asarray", "-parallel", "-ashashtable", "-escapehandling", "-throttlelimit", "-skipnull"})
PS7_COMMANDS = frozenset({"get-error", "test-json", "join-string", "get-uptime", "convertfrom-markdown",
                          "foreach-object -parallel"})
# Parts whose value is a program's text in the PC's display language, and the test that reads it so.
LOCALISED_PARTS = {
    ("backup", "wbadmin"): "wbadmin's Version identifier is read, never its localised labels "
                           "(test_parse_windows::test_it_reads_wbadmin_version_identifiers_in_utc)",
    ("network_history", "wlan"): "netsh's profile lines in English, Korean and Italian "
                                 "(test_windows_readers::test_it_reads_wlan_profiles_whatever_the_display_language)",
}
# A part not wrapped in json_rows returns one object (or a scalar): its source has one instance.
SINGLE_SOURCES = ("Win32_ComputerSystem", "Win32_BIOS", "SoftwareLicensingService", "Get-MpComputerStatus",
                  "Get-SmbServerConfiguration", "Get-BitLockerVolume -MountPoint", "Select-Object -Last 1",
                  "Get-ItemProperty '", "(Get-ItemProperty '", "Out-String", "$(")


def probe_parts() -> Iterator[tuple[str, dict[str, str]]]:
    """(module, WINDOWS_PARTS) of every agent.probes module that has parts."""
    for found in pkgutil.iter_modules(agent.probes.__path__):
        module = importlib.import_module(f"agent.probes.{found.name}")
        if getattr(module, "WINDOWS_PARTS", None):
            yield found.name, module.WINDOWS_PARTS


def scripts() -> dict[str, str]:
    """Every script as run_powershell sends it: the prelude, then the probe's parts_script (the
    network probe sends its parts and network history's in one)."""
    found = {name: windows.PRELUDE + windows.parts_script(parts) for name, parts in probe_parts()
             if name != "network_history"}
    found["network"] = windows.PRELUDE + network.windows_script()
    return found


def quote_property_lists(text: str) -> str:
    """``Select-Object A, B, @{...}`` with its bare property names quoted (``'A', 'B', @{...}``).

    The grammar (0.26.4) takes no list of bare words as a command argument, which PowerShell's
    argument mode reads as a list of strings (``Write-Output a, b`` prints a and b): quoted, the
    same list is one it parses, and PowerShell reads both alike. Only Select-Object's first
    argument is touched, up to the end of its command (``|``, ``)``, ``;`` or ``}`` outside braces)."""
    out, start = [], 0
    for found in re.finditer(r"Select-Object\s+", text):
        if found.start() < start:
            continue
        end, depth = found.end(), 0
        while end < len(text) and not (depth == 0 and text[end] in "|);}"):
            depth += {"{": 1, "}": -1}.get(text[end], 0)
            end += 1
        items = [item.strip() for item in split_top_level(text[found.end():end])]
        quoted = [f"'{item}'" if re.fullmatch(r"[A-Za-z_]\w*", item) else item for item in items]
        out.append(text[start:found.end()] + ", ".join(quoted) + " ")
        start = end
    return "".join(out) + text[start:]


def split_top_level(text: str) -> list[str]:
    items, depth, current = [], 0, ""
    for char in text:
        depth += {"{": 1, "}": -1, "(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    return [*items, current]


def parse(text: str) -> tuple[bytes, object]:
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))
    source = quote_property_lists(text).encode("utf-8")
    return source, parser.parse(source)


def nodes(node: object) -> Iterator[object]:
    yield node
    for child in node.children:  # type: ignore[attr-defined]
        yield from nodes(child)


def text_of(source: bytes, node: object) -> str:
    return source[node.start_byte:node.end_byte].decode("utf-8")  # type: ignore[attr-defined]


def commands(text: str) -> Iterator[tuple[str, str, object]]:
    """(command name, the command's text, its node) of every command in ``text``."""
    source, tree = parse(text)
    for node in nodes(tree.root_node):  # type: ignore[attr-defined]
        if node.type == "command":
            name = next((text_of(source, c) for c in node.children if c.type == "command_name"), "")
            yield name, text_of(source, node), node


def test_every_probe_with_parts_is_checked() -> None:
    assert {name for name, _ in probe_parts()} == {"antivirus", "backup", "hardening", "hardware", "licence",
                                                   "network", "network_history", "software", "users"}


@pytest.mark.parametrize("probe", sorted(scripts()))
def test_the_script_parses_as_powershell(probe: str) -> None:
    source, tree = parse(scripts()[probe])
    broken = [text_of(source, n)[:80] for n in nodes(tree.root_node) if n.type == "ERROR" or n.is_missing]
    assert broken == [], f"{probe}: PowerShell syntax error near {broken}"


@pytest.mark.parametrize("probe", sorted(scripts()))
def test_the_script_uses_nothing_of_powershell_7(probe: str) -> None:
    source, tree = parse(scripts()[probe])
    leaves = {n.type for n in nodes(tree.root_node) if n.child_count == 0}
    assert not leaves & PS7_OPERATORS
    parameters = {text_of(source, n).lower() for n in nodes(tree.root_node) if n.type == "command_parameter"}
    assert not parameters & PS7_PARAMETERS
    assert not {name.lower() for name, _, _ in commands(scripts()[probe])} & PS7_COMMANDS


@pytest.mark.parametrize("probe", sorted(scripts()))
def test_convertto_json_is_never_piped_into_and_names_its_depth(probe: str) -> None:
    found = [(text, node) for name, text, node in commands(scripts()[probe]) if name.lower() == "convertto-json"]
    assert found
    for text, node in found:
        pipeline = node.parent  # type: ignore[attr-defined]
        first = next(c for c in pipeline.children if c.type == "command")
        assert first == node, f"{probe}: something is piped into {text[:60]}"
        depth = re.search(r"-Depth\s+(\d+)", text)
        assert "-InputObject" in text and depth and int(depth.group(1)) >= 3, f"{probe}: {text[:80]}"


@pytest.mark.parametrize("probe", sorted(scripts()))
def test_dates_are_printed_as_iso_8601_utc_by_the_script(probe: str) -> None:
    text = scripts()[probe]
    conversions = re.findall(r"(\.\w+\(\))?\.ToString\(([^)]*)\)", text)
    assert all(before == ".ToUniversalTime()" and argument == "'o'" for before, argument in conversions), conversions
    assert "Get-Date" not in text  # an ETS-decorated date serialises as {"value": "/Date(..)/", "DateTime": ...}


@pytest.mark.parametrize(("probe", "part"), [(name, part) for name, parts in probe_parts() for part in parts])
def test_lists_come_through_json_rows_unless_the_source_has_one_instance(probe: str, part: str) -> None:
    expression = dict(probe_parts())[probe][part]
    if expression.startswith("(ConvertTo-Json -InputObject @("):
        return
    assert any(source in expression for source in SINGLE_SOURCES), f"{probe}.{part} may return 0, 1 or many objects"


@pytest.mark.parametrize(("probe", "part"), [(name, part) for name, parts in probe_parts() for part in parts])
def test_program_text_is_read_only_where_the_reader_knows_its_languages(probe: str, part: str) -> None:
    expression = dict(probe_parts())[probe][part]
    prints_text = re.search(r"\.exe\b|\bnetsh\b|Out-String|Format-(List|Table)", expression)
    assert bool(prints_text) == ((probe, part) in LOCALISED_PARTS), f"{probe}.{part}"


@pytest.mark.parametrize("probe", sorted(scripts()))
def test_the_encoded_script_fits_the_windows_command_line(probe: str) -> None:
    encoded = base64.b64encode(scripts()[probe].encode("utf-16-le"))
    assert len(encoded) < COMMAND_LINE_LIMIT


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Get-X | Select-Object A, B", "Get-X | Select-Object 'A', 'B' "),
     ("(Get-X | Select-Object Name, @{n='L';e={$_.L}})", "(Get-X | Select-Object 'Name', @{n='L';e={$_.L}} )"),
     ("Select-Object -Last 1", "Select-Object -Last 1 "), ("Get-X -Name a", "Get-X -Name a")],
)
def test_only_select_objects_bare_property_names_are_quoted_for_the_grammar(text: str, expected: str) -> None:
    assert quote_property_lists(text) == expected


def test_the_prelude_asks_for_utf8_and_for_failures_that_throw() -> None:
    assert "[Console]::OutputEncoding=[Text.Encoding]::UTF8" in windows.PRELUDE
    assert "$ErrorActionPreference='Stop'" in windows.PRELUDE


@pytest.mark.parametrize(
    "broken",
    # what the checks must catch: a syntax error, PS 7's chain operator, piping into ConvertTo-Json,
    # a default depth, a local-time date
    ["try { Get-Thing ", "Get-A && Get-B", "Get-Thing | ConvertTo-Json -Compress",
     "ConvertTo-Json -InputObject @(Get-Thing) -Compress", "$d.ToString('yyyy-MM-dd')"],
)
def test_the_checks_catch_the_traps(broken: str) -> None:
    source, tree = parse(broken)
    has_error = any(n.type == "ERROR" or n.is_missing for n in nodes(tree.root_node))
    leaves = {n.type for n in nodes(tree.root_node) if n.child_count == 0}
    json_calls = [(text, node) for name, text, node in commands(broken) if name == "ConvertTo-Json"]
    piped = any(next(c for c in node.parent.children if c.type == "command") != node for _, node in json_calls)
    no_depth = any(not re.search(r"-Depth\s+\d+", text) for text, _ in json_calls)
    local_date = bool(re.search(r"\.ToString\((?!'o'\))", broken))
    assert has_error or leaves & PS7_OPERATORS or piped or no_depth or local_date
