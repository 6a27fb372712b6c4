"""``/api/v1/subscriptions``: who is told about a district's cases, and how.

A councilor's key manages the subscriptions of its own districts, an admin's all of them.
Subscriptions outside the caller's districts (and every subscription, for other roles) answer
404 like missing ones; creating one where the key may not answers 401 without a key, else 403.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from gis311 import access
from gis311.deps import ConnDep, PrincipalDep
from gis311.keys import Principal
from gis311.notify import subscriptions
from gis311.routing import StrictJSONRoute

router = APIRouter(
    prefix="/api/v1/subscriptions", tags=["notifications"], route_class=StrictJSONRoute
)

MANAGERS = ("councilor", "admin")


class SubscriptionCreate(BaseModel):
    """A district to follow and where to send its notifications."""

    model_config = ConfigDict(extra="forbid")
    district: str = Field(
        min_length=3, max_length=264, description="The boundary feature as `layer:code`.",
        examples=["ward:3"],
    )
    service_codes: list[str] | None = Field(
        None, min_length=1, max_length=200,
        description="Only cases of these services; null: every service.",
    )
    channel: Literal["webhook", "email"]
    url: str | None = Field(
        None, max_length=2000, description="Webhook: the http(s) URL the JSON is POSTed to."
    )
    email: str | None = Field(
        None, max_length=320,
        description="Email: the address; left out, the district office's address on file.",
    )
    digest: Literal["immediate", "hourly", "daily"] = Field(
        "immediate", description="Email: one message per case, or one per hour or day."
    )


class SubscriptionPublic(BaseModel):
    """A subscription (its secret is shown only when it is created)."""

    id: int
    district: str
    layer: str
    code: str
    service_codes: list[str] | None
    channel: Literal["webhook", "email"]
    url: str | None
    email: str | None
    digest: Literal["immediate", "hourly", "daily"]
    created_by: int | None
    active: bool
    created_at: datetime


class SubscriptionCreated(SubscriptionPublic):
    """A new subscription with its webhook secret: store it now, it is never shown again."""

    secret: str | None = Field(
        description="Webhooks: the HMAC-SHA256 key of X-GIS311-Signature; null for email."
    )


class SubscriptionsPublic(BaseModel):
    subscriptions: list[SubscriptionPublic]


def _public(sub: subscriptions.Subscription) -> SubscriptionPublic:
    return SubscriptionPublic(
        id=sub.id, district=sub.district, layer=sub.layer, code=sub.code,
        service_codes=list(sub.service_codes) if sub.service_codes is not None else None,
        channel=sub.channel,  # type: ignore[arg-type]
        url=sub.url, email=sub.email, digest=sub.digest,  # type: ignore[arg-type]
        created_by=sub.created_by, active=sub.active, created_at=sub.created_at,
    )


def _scope(principal: Principal | None) -> Sequence[str] | None:
    """The districts whose subscriptions the caller manages: None for all, () for none."""
    if principal is None:
        return ()
    if principal.role == "admin":
        return None
    if principal.role == "councilor":
        return principal.districts
    return ()


@router.post(
    "", status_code=201, response_model=SubscriptionCreated,
    summary="Subscribe to a district's cases",
    description=(
        "Councilor keys may subscribe to their own districts, admin keys to any. The "
        "response carries the webhook `secret` this once."
    ),
)
def create_subscription(
    body: SubscriptionCreate, conn: ConnDep, principal: PrincipalDep, response: Response
) -> SubscriptionCreated:
    access.require(principal, MANAGERS, "manage subscriptions")
    assert principal is not None
    layer, code = subscriptions.parse_district(body.district)
    if not subscriptions.in_scope(f"{layer}:{code}", _scope(principal)):
        raise access.Forbidden(
            f"this key may subscribe to its own districts only ({', '.join(principal.districts)})"
        )
    created = subscriptions.create(
        conn,
        subscriptions.NewSubscription(
            district=f"{layer}:{code}", channel=body.channel, url=body.url, email=body.email,
            service_codes=body.service_codes, digest=body.digest,
        ),
        created_by=principal.key_id,
    )
    response.headers["Location"] = f"{router.prefix}/{created.subscription.id}"
    return SubscriptionCreated(
        **_public(created.subscription).model_dump(), secret=created.secret
    )


@router.get("", response_model=SubscriptionsPublic, summary="List subscriptions")
def list_subscriptions(conn: ConnDep, principal: PrincipalDep) -> SubscriptionsPublic:
    """Councilors: their districts' subscriptions; admin: all."""
    access.require(principal, MANAGERS, "list subscriptions")
    subs = subscriptions.list_subscriptions(conn, districts=_scope(principal))
    return SubscriptionsPublic(subscriptions=[_public(s) for s in subs])


@router.get("/{subscription_id}", response_model=SubscriptionPublic, summary="One subscription")
def get_subscription(
    subscription_id: int, conn: ConnDep, principal: PrincipalDep
) -> SubscriptionPublic:
    """404 when it does not exist, was deleted, or lies outside the caller's districts."""
    return _public(subscriptions.get(conn, subscription_id, districts=_scope(principal)))


@router.delete("/{subscription_id}", status_code=204, summary="Delete a subscription")
def delete_subscription(subscription_id: int, conn: ConnDep, principal: PrincipalDep) -> Response:
    """Stops its notifications; its pending deliveries are marked failed."""
    subscriptions.delete(conn, subscription_id, districts=_scope(principal))
    return Response(status_code=204)
