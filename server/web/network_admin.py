"""What the scheduled scan looks at, set from the browser (``/admin/network``), for officers and
admins within their subtree: LAN devices declared known (only devices seen on their units' LAN),
the subnets every scan sweeps, and the SNMP devices it polls with the links they carry. SNMP
credentials are written here and never shown back: no page, list or error repeats them. Every
change goes through collector.store.lan / collector.store.snmp, each audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar import Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from sqlalchemy.orm import Session

from collector.errors import CanhgacError, InvalidInput, NotFound
from collector.models.links import LinkKind
from collector.network.snmp import AUTH_PROTOCOLS, PRIV_PROTOCOLS, V3, Credentials, V2c
from collector.store.lan import declare_known, save_subnet, saved_subnets
from collector.store.snmp import add_snmp_device, list_snmp_devices, set_link
from collector.store.units import list_units
from server.web.context import Form, Page

DEFAULT_MAX_PREFIX = 22
"""The largest subnet saved without asking (1,024 addresses), as ``scan lan`` has it."""


@get("/admin/network", sync_to_thread=True)
def network_admin(page: NamedDependency[Page], done: FromQuery[str] = "") -> Response[Any]:
    page.require_officer()
    return _page(page, done=done if done in CHANGES else "")


def _page(page: Page, status: int = 200, error: str = "", done: str = "") -> Response[Any]:
    with page.db() as session:
        subnets = saved_subnets(session, page.me.scope)
        devices = list_snmp_devices(session, page.me.scope, limit=500)
        units = [(u.code, u.name) for u in list_units(session, page.me.scope)]
    return page.render("network_admin.html", status=status, subnets=subnets, devices=devices, units=units,
                       names=dict(units), error=error, done=done, auth_protocols=list(AUTH_PROTOCOLS),
                       priv_protocols=list(PRIV_PROTOCOLS), default_max_prefix=DEFAULT_MAX_PREFIX)


def _known(session: Session, data: Form, page: Page) -> None:
    declare_known(session, data.get("mac", ""), data.get("note", "").strip()[:255], page.state.clock(),
                  page.me.scope, page.me.name)


def _subnet(session: Session, data: Form, page: Page) -> None:
    from collector.network.arp import check_subnet

    text = data.get("max_prefix", "").strip() or str(DEFAULT_MAX_PREFIX)
    if not text.isdigit() or not 16 <= int(text) <= 30:
        raise InvalidInput(f"largest subnet /{text}: 16 to 30", code="invalid_prefix")
    network = check_subnet(data.get("subnet", ""), int(text))
    save_subnet(session, str(network), data.get("unit", ""), data.get("iface", "").strip()[:64], int(text),
                page.state.clock(), page.me.scope, page.me.name)


def credentials_of(data: Form) -> Credentials:
    """The SNMP credentials a form posts: v2c with its community, or v3 with user and keys."""
    if data.get("version", "v2c") == "v3":
        return V3(user=data.get("user", "").strip(), auth_key=data.get("auth_key", ""),
                  priv_key=data.get("priv_key", ""), auth_protocol=data.get("auth_protocol", "SHA"),
                  priv_protocol=data.get("priv_protocol", "AES"))
    return V2c(community=data.get("community", ""))


def _snmp(session: Session, data: Form, page: Page) -> None:
    port = data.get("port", "").strip() or "161"
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise InvalidInput(f"port {port!r}: 1 to 65535", code="invalid_port")
    host = data.get("host", "").strip()
    if not host or len(host) > 255:
        raise InvalidInput("the device's address is needed", code="invalid_host")
    unit = data.get("unit", "")
    device = add_snmp_device(session, unit, data.get("name", "").strip()[:255], host, int(port),
                             credentials_of(data), page.state.clock(), page.me.scope, page.me.name)
    for kind, key in ((LinkKind.DEDICATED_LINE, "dedicated_line_if"), (LinkKind.INTERNET, "internet_if")):
        if data.get(key, "").strip():
            set_link(session, unit, kind, device.id, data[key].strip()[:64], [], page.me.scope)


Change = Callable[[Session, Form, Page], None]
CHANGES: dict[str, Change] = {"known": _known, "subnet": _subnet, "snmp": _snmp}


@post("/admin/network/{action:str}", sync_to_thread=True)
def change_network(page: NamedDependency[Page], action: FromPath[str], data: Form) -> Response[Any]:
    page.check_csrf(data.get("csrf"))
    page.require_officer()
    change = CHANGES.get(action)
    if change is None:
        raise NotFound(f"no such change {action!r}")
    with page.db() as session:
        try:
            change(session, data, page)
        except NotFound:
            raise
        except CanhgacError as exc:
            session.rollback()
            return _page(page, status=exc.status if exc.status < 500 else 400, error=exc.detail)
    return page.redirect(f"/admin/network?done={action}")


NETWORK_ADMIN_ROUTES = [network_admin, change_network]
