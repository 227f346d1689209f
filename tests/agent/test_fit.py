"""What a PC reads past the wire's bounds is cut on the agent, so the collector never refuses the
whole report for it (agent/wire/fit.py)."""

from __future__ import annotations

import msgspec

from agent.wire.fit import fit_report
from agent.wire.schema import Hardware, Program, Software, decode_report, encode_report
from tests.factories import make_report


def test_a_report_within_its_bounds_is_left_as_it_is() -> None:
    report = make_report("a" * 32, 1)
    assert fit_report(report) == (report, [])


def test_long_names_nul_characters_long_lists_and_huge_numbers_are_cut() -> None:
    report = msgspec.structs.replace(
        make_report("a" * 32, 1, hostname="h" * 300, os_name="Windows\x00 11"),
        hardware=Hardware(ram_bytes=10**40, cpu_cores=-3),
        software=Software(programs=[Program(name="p" * 300)] + [Program(name=f"x{i}") for i in range(5000)]))
    fitted, cut = fit_report(report)
    assert set(cut) >= {"report.identity.hostname", "report.identity.os_name", "report.hardware.ram_bytes",
                        "report.hardware.cpu_cores", "report.software.programs", "report.software.programs[].name"}
    again = decode_report(encode_report(fitted))  # what the collector decodes strictly
    assert again.identity.hostname == "h" * 255 and again.identity.os_name == "Windows 11"
    assert again.hardware is not None and (again.hardware.ram_bytes, again.hardware.cpu_cores) == (2**63 - 1, 0)
    assert again.software is not None and len(again.software.programs) == 4096
    assert again.software.programs[0].name == "p" * 255
