"""``/api/v1/deliveries``: the notifications sent (or not) and their attempts; admin only.

A failed delivery (its attempts reached ``GIS311_NOTIFY_MAX_ATTEMPTS``) is listed with
``?status=failed`` and sent again by ``POST /api/v1/deliveries/{id}/retry``, with the same
delivery id. Other keys get 401/403 for the list and 404 for single deliveries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from gis311 import access
from gis311.deps import ConnDep, PrincipalDep
from gis311.keys import Principal
from gis311.notify import deliveries
from gis311.notify.errors import NotFound
from gis311.routing import StrictJSONRoute

router = APIRouter(prefix="/api/v1/deliveries", tags=["notifications"], route_class=StrictJSONRoute)

Status = Literal["pending", "delivered", "failed"]


class AttemptPublic(BaseModel):
    at: datetime
    finished_at: datetime | None
    status_code: int | None
    error: str | None
    duration_ms: int | None


class DeliveryPublic(BaseModel):
    """One notification for one subscription; ``delivery_id`` is what receivers see."""

    id: int
    delivery_id: UUID
    subscription_id: int
    district: str
    channel: Literal["webhook", "email"]
    event: str
    case_number: str | None
    status: Status
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[AttemptPublic] | None = None


class DeliveriesPage(BaseModel):
    deliveries: list[DeliveryPublic]
    next: str | None


def _public(info: deliveries.DeliveryInfo) -> DeliveryPublic:
    data = info.__dict__.copy()
    log = data.pop("attempt_log")
    return DeliveryPublic(
        **data,
        attempt_log=[AttemptPublic(**a.__dict__) for a in log] if log is not None else None,
    )


def _admin_or_not_found(principal: Principal | None, pk: int) -> None:
    # A delivery is out of every other key's scope: 404, like one that does not exist.
    if principal is None or principal.role != "admin":
        raise NotFound(f"no delivery {pk}")


@router.get("", response_model=DeliveriesPage, summary="List deliveries (admin)")
def list_deliveries(
    request: Request,
    conn: ConnDep,
    principal: PrincipalDep,
    status: Annotated[list[Status] | None, Query(description="pending, delivered, failed")] = None,
    subscription_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before: Annotated[
        int | None, Query(ge=1, description="Only deliveries with a lower id (paging).")
    ] = None,
) -> DeliveriesPage:
    """Newest first; ``next`` is the URL of the next page or null."""
    access.require(principal, ("admin",), "list deliveries")
    rows = deliveries.list_deliveries(
        conn, status=status or (), subscription_id=subscription_id, limit=limit + 1,
        before=before,
    )
    page = rows[:limit]
    nxt = None
    if len(rows) > limit:
        nxt = str(request.url.include_query_params(before=page[-1].id))
    return DeliveriesPage(deliveries=[_public(r) for r in page], next=nxt)


@router.get("/{delivery_pk}", response_model=DeliveryPublic, summary="One delivery (admin)")
def get_delivery(delivery_pk: int, conn: ConnDep, principal: PrincipalDep) -> DeliveryPublic:
    """The delivery with its attempt log (time, status code, error, duration)."""
    _admin_or_not_found(principal, delivery_pk)
    return _public(deliveries.get_delivery(conn, delivery_pk))


@router.post("/{delivery_pk}/retry", response_model=DeliveryPublic,
             summary="Send a failed delivery again (admin)")
def retry_delivery(delivery_pk: int, conn: ConnDep, principal: PrincipalDep) -> DeliveryPublic:
    """A failed delivery becomes due now with a fresh count of attempts and the same delivery
    id; 409 when it is not failed or its subscription was deleted."""
    _admin_or_not_found(principal, delivery_pk)
    return _public(deliveries.retry(conn, delivery_pk))
