"""The commerce API: catalog, orders, customers; products writable by admins; webhooks."""
