"""The officials register page: each unit's officials with the machine that is theirs, importing
the list as the office keeps it (XLSX or CSV), adding, editing, retiring, assigning a machine
(officers and admins). Scoped like every page: outside the person's subtree is 404."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery

from collector.errors import InvalidInput
from collector.officials_file import parse_officials
from collector.store.machines import list_machines
from collector.store.officials import (
    add_official,
    assign_machine,
    edit_official,
    get_official,
    import_officials,
    list_officials,
    retire_official,
)
from collector.store.units import list_units
from server.params import RowId, UnitFilter
from server.web.context import Form, Page

MAX_FILE_BYTES = 2 * 1024 * 1024
Upload = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)]


@get("/officials", sync_to_thread=True)
def officials(page: NamedDependency[Page], unit: FromQuery[UnitFilter] = None,
              retired: FromQuery[bool] = False) -> Response[Any]:
    return _officials_page(page, unit or None, retired)


def _officials_page(page: Page, unit: str | None, retired: bool = False, status: int = 200, error: str = "",
                    imported: str = "") -> Response[Any]:
    with page.db() as session:
        rows = list_officials(session, page.me.scope, unit, include_retired=retired)
        units = [(u.code, u.name) for u in list_units(session, page.me.scope)]
        machines, _ = list_machines(session, page.me.scope, unit, limit=2000)
    return page.render("officials.html", status=status, rows=rows, units=units, machines=machines, unit=unit or "",
                       retired=retired, error=error, imported=imported)


@post("/officials/import", sync_to_thread=True)
def import_list(page: NamedDependency[Page], data: Upload) -> Response[Any]:
    page.check_csrf(str(data.get("csrf", "")))
    page.require_officer()
    unit, upload = str(data.get("unit", "")), data.get("file")
    if not isinstance(upload, UploadFile):
        return _officials_page(page, unit or None, status=400, error="no_file")
    content = upload.file.read(MAX_FILE_BYTES + 1)
    if len(content) > MAX_FILE_BYTES:
        return _officials_page(page, unit or None, status=400, error="too_large")
    with page.db() as session:
        try:
            found = parse_officials(content, upload.filename or "")
            summary = import_officials(session, unit, found, page.state.clock(), page.me.name, page.me.scope,
                                       retire_missing=data.get("retire_missing") == "1")
        except InvalidInput as exc:
            session.rollback()
            return _officials_page(page, unit or None, status=400, error=exc.code)
    return _officials_page(page, unit, imported=f"{summary.added}/{summary.updated}/{summary.unchanged}/"
                                                f"{summary.retired}")


@post("/officials", sync_to_thread=True)
def add(page: NamedDependency[Page], data: Form) -> Response[Any]:
    page.check_csrf(data.get("csrf"))
    page.require_officer()
    with page.db() as session:
        try:
            row = add_official(session, data.get("unit", ""), data.get("name", ""), data.get("position", ""),
                               data.get("account", ""), page.state.clock(), page.me.name, page.me.scope)
        except InvalidInput as exc:
            session.rollback()
            return _officials_page(page, data.get("unit") or None, status=400, error=exc.code)
    return page.redirect(f"/officials?unit={row.unit_code}")


@post("/officials/{official_id:int}", sync_to_thread=True)
def change(page: NamedDependency[Page], official_id: FromPath[RowId], data: Form) -> Response[Any]:
    """One form per official: ``action`` is assign (``machine``: an id, "" takes it back), edit or retire."""
    page.check_csrf(data.get("csrf"))
    with page.db() as session:
        row = get_official(session, page.me.scope, official_id)  # 404 outside the scope comes before 403
        page.require_officer()
        now, actor, action = page.state.clock(), page.me.name, data.get("action", "")
        try:
            if action == "assign":
                machine = data.get("machine", "")
                assign_machine(session, page.me.scope, official_id, int(machine) if machine else None, now, actor)
            elif action == "edit":
                edit_official(session, page.me.scope, official_id, now, actor, data.get("name"),
                              data.get("position"), data.get("account"))
            elif action == "retire":
                retire_official(session, page.me.scope, official_id, now, actor)
            else:
                raise InvalidInput(f"action {action!r}: assign, edit or retire", code="invalid_action")
        except (InvalidInput, ValueError) as exc:
            session.rollback()
            return _officials_page(page, row.unit_code, status=400, error=getattr(exc, "code", "invalid_input"))
    return page.redirect(f"/officials?unit={row.unit_code}")


OFFICIAL_ROUTES = [officials, import_list, add, change]
