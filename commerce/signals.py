"""Signals other apps connect to, so that they depend on commerce and not the reverse.

`product_changed(sender=Product, product_ids=[...], fields={...})` is sent after
the transaction that changed a product's title, description or product line
commits (also when a product is created). The embedding service (ugc) connects
to it to refresh product embeddings; receivers should enqueue a task and return.

`orders_changed(sender=Order, order_ids=[...])` is sent after orders were
created or changed (not when an update was stale or unchanged), for analytics
to join orders with journeys.

`order_contact(sender=Order, order_id=..., contact=OrderContact)` is sent after
a webhook's order (not a stale one) commits, with what the shop said about
reaching the buyer: the address, marketing consent, locale and whether the
order is fulfilled. Commerce keeps none of it; a receiver that needs the
address for a purpose the buyer agreed to stores it itself, encrypted.
"""

from django.dispatch import Signal

product_changed = Signal()
orders_changed = Signal()
order_contact = Signal()

# The product fields whose change means the product's embedding is out of date.
EMBEDDED_PRODUCT_FIELDS = frozenset({"title", "description", "product_line"})
