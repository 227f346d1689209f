"""Issue 14.2: sessions are ended on the server. A cookie copied before signing out no longer
opens anything afterwards; nor after a password change, an admin ending the person's sessions,
or the person being disabled."""

from __future__ import annotations

from server.web.session import COOKIE
from tests.api_world import World
from tests.web.conftest import sign_in


def machine_of(world: World, unit: str = "XA") -> int:
    return int(world.enroll(unit, machine_uid=f"uid-{unit}", hostname=f"pc-{unit}")["machine_id"])


def test_a_cookie_copied_before_sign_out_no_longer_opens_a_machine(web: World) -> None:
    machine_id = machine_of(web)
    csrf = sign_in(web.client, "admin")
    copied = web.client.cookies[COOKIE]
    assert web.client.get(f"/machines/{machine_id}", follow_redirects=False).status_code == 200
    assert web.client.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    web.client.cookies.clear()
    web.client.cookies.set(COOKIE, copied)
    response = web.client.get(f"/machines/{machine_id}", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
