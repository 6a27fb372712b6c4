"""``GET /api/v1/me``: who the caller is, as its API key says (the map page asks this to pick
its view and districts)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from gis311 import auth
from gis311.deps import PrincipalDep
from gis311.errors import ApiError
from gis311.routing import StrictJSONRoute

router = APIRouter(prefix="/api/v1", tags=["keys"], route_class=StrictJSONRoute)


class MePublic(BaseModel):
    """The caller: ``public`` without a key."""

    role: str
    key_id: int | None
    name: str | None
    departments: list[str]
    districts: list[str]


@router.get(
    "/me", response_model=MePublic, summary="The caller's role and scope",
    responses={401: {"description": "A bearer token that is not a valid key."}},
)
def me(request: Request, principal: PrincipalDep) -> MePublic:
    if principal is None:
        if auth.bearer_token(request):
            raise ApiError("the API key is not valid (unknown or revoked)", status=401)
        return MePublic(role="public", key_id=None, name=None, departments=[], districts=[])
    return MePublic(
        role=principal.role, key_id=principal.key_id, name=principal.name or None,
        departments=list(principal.departments), districts=list(principal.districts),
    )
