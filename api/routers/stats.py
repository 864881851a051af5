from __future__ import annotations

from ninja import Router

router = Router(tags=["stats"])

# GET /users/me/stats lives here, beside /stats/summary that it shares a schema and a query with.
me_router = Router(tags=["users"])
