"""Gallery delivery: what a storefront's widget reads, from the publishable key to the
bytes, and how a change reaches it.

- keys: the site of a publishable key, its allowed origins, a gallery by slug.
- throttles: the public API's per-key and per-address counters.
- cursors: the public gallery's page cursors.
- render: a gallery page's body, cached, and the response that carries it.
- hot: the in-process hot path, which answers a gallery served before from memory.
- cache: the version tokens, the cache keys, and the receivers that bump them.
- leases: invalidations pushed to every web process, under leases.
- cdn: purging a CDN in front, by surrogate key.
- variants: which gallery a visitor sees while an experiment runs on the slot.

The cache-invalidation rule: every cached answer (a body in the shared cache, an
answer held in a process's memory, a response at the CDN) is stored under two version
tokens, its gallery's and a global one, and is served only while both are current.
Any change that may alter what a gallery shows moves a token after it commits: its
gallery's for its pins and rules, the global one for anything else (an asset's state,
grant, tags or renditions, a product, a site, a gallery's own fields). Moving a token
tells every process holding a lease and waits until each knew, then purges the CDN.
Tokens are read before the database, so a body rendered while a change commits is
stored under the old token and never served; and a body never outlives the earliest
rights grant it shows.
"""
