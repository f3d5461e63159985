"""The reference for benchmarks/serve.py: a bare Litestar app returning a constant tiny JSON."""

from litestar import Litestar, get


@get("/", sync_to_thread=False)
def constant() -> dict[str, bool]:
    return {"ok": True}


app = Litestar(route_handlers=[constant], openapi_config=None)
