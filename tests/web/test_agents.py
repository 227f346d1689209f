"""The agents page and the agent settings form of the dashboard."""

from __future__ import annotations

from agent.wire.schema import SCHEMA_VERSION
from collector.store.scope import EVERYTHING
from collector.store.settings import effective_settings, machines_on_old_settings
from collector.store.units import get_unit
from tests.api_world import World
from tests.collector.test_agent_settings import _enroll, _report, _set
from tests.web.conftest import sign_in


def test_the_dashboard_lists_agents_behind_and_the_machine_page_says_so(web: World) -> None:
    agent = _enroll(web, schema=None)
    _report(web, agent, 1, schema=SCHEMA_VERSION - 1)
    modern = _enroll(web, uid="uid-2")
    _report(web, modern, 1, ran_with=None)
    _set(web, "XA", internet_targets=["dns.google:443"])
    with web.db.session() as s:
        behind = machines_on_old_settings(s, EVERYTHING)
    # The schema-2 agent ran with none yet; the schema-1 one cannot take settings and is not listed.
    assert [(line.machine_id, line.running) for line in behind] == [(modern["machine_id"], None)]
    sign_in(web.client, "admin")
    page = web.client.get("/agents?lang=en").text
    assert "Agents older than the collector" in page and "Agents on older settings" in page
    assert page.count('href="/machines/') == 2
    machine = web.client.get(f"/machines/{agent['machine_id']}?lang=en").text
    assert "is older than the collector" in machine
    assert "is older than the collector" not in web.client.get(f"/machines/{modern['machine_id']}?lang=en").text


def test_an_admin_sets_agent_settings_in_the_dashboard(web: World) -> None:
    csrf = sign_in(web.client, "admin")
    answer = web.client.post("/admin/units/config", data={"csrf": csrf, "code": "XA", "unset": "",
                                                          "set": "internet_targets=dns.google:443, 1.1.1.1:443\n"
                                                                 "probe_gateway=false"}, follow_redirects=False)
    assert answer.status_code == 303
    with web.db.session() as s:
        values = effective_settings(s, get_unit(s, "XA").path).values
    assert values == {"internet_targets": ["dns.google:443", "1.1.1.1:443"], "probe_gateway": False}
    assert "dns.google:443" in web.client.get("/admin/units").text
    refused = web.client.post("/admin/units/config", data={"csrf": csrf, "code": "XA", "set": "shell=/bin/sh"})
    assert refused.status_code == 422 and "not an agent setting" in refused.text
    assert web.client.get("/admin/units").status_code == 200
