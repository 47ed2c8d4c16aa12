"""The platform app has no tables; this module exists because Django sends
post_migrate only to apps with a models module, and roles sync on it."""
