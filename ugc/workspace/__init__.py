"""Helpers of the coordinator's workspace (ugc/views.py): reading a request's
choices, paging, facets and role checks. The work itself is done by ugc.services
and ugc.selectors, the same code the API calls."""
