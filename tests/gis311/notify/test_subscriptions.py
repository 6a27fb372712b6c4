"""Subscriptions: checks, the district office's address, scoping by districts, deletion."""

from __future__ import annotations

import psycopg
import pytest

from gis311.notify import subscriptions
from gis311.notify.errors import InvalidInput, NotFound
from gis311.notify.subscriptions import NewSubscription
from tests.gis311.notify import grid


@pytest.fixture
def city(db: psycopg.Connection) -> psycopg.Connection:
    grid.build(db)
    return db


def test_parse_district() -> None:
    assert subscriptions.parse_district(" ward:3 ") == ("ward", "3")
    assert subscriptions.parse_district("council:North End") == ("council", "North End")
    for bad in ("ward", "Ward:3", "ward:", ":3", "ward: "):
        with pytest.raises(InvalidInput):
            subscriptions.parse_district(bad)


def test_urls_and_addresses() -> None:
    assert subscriptions.check_url(" https://x.example/h?a=1 ") == "https://x.example/h?a=1"
    assert subscriptions.check_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080/"
    for bad in ("ftp://x.example/", "https://", "x.example/h", "https://x.example/a b"):
        with pytest.raises(InvalidInput):
            subscriptions.check_url(bad)
    assert subscriptions.check_email("aide@council.example") == "aide@council.example"
    for bad in ("aide", "a@b@c", "Aide <aide@council.example>", "a@b.example,c@d.example",
                "a@b.example\nBcc: c@d.example"):
        with pytest.raises(InvalidInput):
            subscriptions.check_email(bad)


def test_create_keeps_the_secret_only_for_webhooks(city) -> None:
    hook = subscriptions.create(city, NewSubscription(
        "council:1", "webhook", url="https://office.example/h"), created_by=None)
    assert hook.secret is not None and hook.secret.startswith(subscriptions.SECRET_MARK)
    stored = city.execute("SELECT secret FROM gis311.subscription WHERE id = %s",
                          (hook.subscription.id,)).fetchone()
    assert stored == (hook.secret,)
    mail = subscriptions.create(city, NewSubscription("council:1", "email", digest="hourly"))
    assert mail.secret is None and mail.subscription.email == "council1@city.example"


def test_email_without_an_office_address_needs_one(city) -> None:
    city.execute("UPDATE boundaries.feature SET office_email = NULL WHERE code = '4'")
    with pytest.raises(InvalidInput, match="has no office email"):
        subscriptions.create(city, NewSubscription("council:4", "email"))


def test_service_codes_are_checked_and_sorted(city) -> None:
    sub = subscriptions.create(city, NewSubscription(
        "council:1", "webhook", url="https://o.example/", service_codes=["pothole", "graffiti",
                                                                         "pothole"]))
    assert sub.subscription.service_codes == ("graffiti", "pothole")
    with pytest.raises(InvalidInput, match="unknown service nope"):
        subscriptions.create(city, NewSubscription(
            "council:1", "webhook", url="https://o.example/", service_codes=["nope"]))


def test_reads_and_deletes_are_scoped_by_districts(city) -> None:
    one = subscriptions.create(city, NewSubscription(
        "council:1", "webhook", url="https://o.example/")).subscription
    two = subscriptions.create(city, NewSubscription(
        "council:2", "webhook", url="https://o.example/")).subscription
    assert subscriptions.get(city, one.id, districts=["council:1"]) == one
    with pytest.raises(NotFound):
        subscriptions.get(city, one.id, districts=["council:2"])
    with pytest.raises(NotFound):
        subscriptions.get(city, one.id, districts=[])
    assert subscriptions.list_subscriptions(city, districts=["council:2"]) == [two]
    assert subscriptions.list_subscriptions(city) == [one, two]
    with pytest.raises(NotFound):
        subscriptions.delete(city, one.id, districts=["council:2"])
    gone = subscriptions.delete(city, one.id, districts=["council:1"])
    assert not gone.active
    assert subscriptions.list_subscriptions(city) == [two]
    with pytest.raises(NotFound):
        subscriptions.get(city, one.id)
