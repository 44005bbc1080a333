"""Usage and audit notifications (CADF over oslo.messaging).

Event types follow Magnum (`magnum.cluster.create|update|delete`, publisher
`container-infra.<host>`) so existing consumers work; priority INFO, or ERROR on failure.
The transport comes from `[oslo_messaging_notifications]` (driver, transport_url): the
embedded default logs them; a cloud sends them to RabbitMQ.
"""
