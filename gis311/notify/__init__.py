"""Notifications: subscriptions to districts, fan-out of the case outbox into deliveries, and
their sending by ``gis311 worker`` (webhooks signed with HMAC-SHA256, email through SMTP,
immediate or as hourly/daily digests).

The way of an event: ``registry.outbox`` (written with the case) → ``fanout`` (one
transaction: deliveries for every matching subscription + the outbox row marked) →
``deliveries.claim`` (due deliveries leased with FOR UPDATE SKIP LOCKED) → ``webhook`` /
``email`` → ``deliveries.record`` (delivered, retry later with backoff, or failed), with a
``gis311.delivery_attempt`` row per attempt.
"""
