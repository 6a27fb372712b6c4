"""Who may see and do what: the roles of API keys turned into scopes and permissions.

- public (no key) and reporter_app keys see every case, public fields only; reporter_app keys
  may file cases.
- staff keys see the cases of their departments' services with internal notes and the reporter's
  contact; they file, change, link and split cases.
- crew keys see their departments' cases with internal notes; they change status, add notes and
  record asset condition.
- councilor keys see the cases filed in their districts with internal notes and full history,
  never reporter contact; they cannot write cases (they manage their districts' subscriptions).
- admin keys see and do everything.

Objects outside a key's scope answer 404, exactly like objects that do not exist, so their
existence does not leak; a request for something the role may not do at all answers 401 (no
key) or 403.
"""

from __future__ import annotations

from gis311.keys import Principal
from registry.cases import EVERYTHING, PUBLIC, CaseScope

FILING_ROLES = ("reporter_app", "staff", "admin")
CASE_WRITERS = ("staff", "crew", "admin")
CASE_LINKERS = ("staff", "admin")
ASSET_WRITERS = ("staff", "admin")
ASSET_CONDITION_WRITERS = ("staff", "crew", "admin")


class AccessError(Exception):
    """Base of the access errors."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class AuthenticationRequired(AccessError):
    """The request needs an API key and came without a valid one (401)."""


class Forbidden(AccessError):
    """The key's role may not do this (403)."""


def role(principal: Principal | None) -> str:
    """The caller's role; ``public`` without a key."""
    return principal.role if principal is not None else "public"


def case_scope(principal: Principal | None) -> CaseScope:
    """The cases a caller sees and how much of each."""
    match role(principal):
        case "admin":
            return EVERYTHING
        case "staff":
            assert principal is not None
            return CaseScope(departments=principal.departments, view="full")
        case "crew":
            assert principal is not None
            return CaseScope(departments=principal.departments, view="internal")
        case "councilor":
            assert principal is not None
            return CaseScope(districts=principal.districts, view="internal")
        case _:
            return PUBLIC


def require(principal: Principal | None, roles: tuple[str, ...], action: str) -> None:
    """Refuse unless the caller has one of ``roles`` (401 without a key, 403 with one)."""
    if principal is None:
        if "public" in roles:
            return
        raise AuthenticationRequired(
            f"{action} needs an API key (Authorization: Bearer <key>)"
        )
    if principal.role not in roles:
        raise Forbidden(f"a {principal.role} key may not {action}")


def in_departments(principal: Principal | None, department: str | None) -> bool:
    """Whether an object of ``department`` lies in the caller's department scope."""
    if principal is None:
        return False
    if principal.role == "admin":
        return True
    return department is not None and department in principal.departments
