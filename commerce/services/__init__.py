"""Every write of the commerce app: catalog, customers, orders, refunds, webhooks, imports."""
