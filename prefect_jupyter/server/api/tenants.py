"""The server's one tenant.

Prefect Server 1 keeps tenants in a table, and Prefect 1's client and CLI ask for one: its id
goes with some writes, and setting a server up ends with ``prefect server create-tenant --name
default --slug default``. This server has exactly one tenant, :data:`DEFAULT_TENANT`; tenant
ids sent with writes are accepted and ignored.
"""

from __future__ import annotations

from prefect_jupyter.server.errors import InvalidInput

__all__ = ["DEFAULT_TENANT", "create_tenant"]

#: The one tenant this server has.
DEFAULT_TENANT = {
    "id": "00000000-0000-4000-8000-000000000000",
    "name": "default",
    "slug": "default",
}


def create_tenant(name: str, slug: str | None = None) -> str:
    """Prefect Server 1's ``create_tenant``: the id of the one tenant, when asked for it.

    ``prefect server create-tenant --name default --slug default`` (the documented setup
    step) answers the tenant's id, as Prefect Server 1 does for a tenant it has.

    Raises:
        InvalidInput: another tenant is asked for (saying that none needs creating).
    """
    wanted = slug if slug is not None else name
    if wanted != DEFAULT_TENANT["slug"]:
        raise InvalidInput(
            f"This server has one tenant, {DEFAULT_TENANT['name']!r} (slug "
            f"{DEFAULT_TENANT['slug']!r}, id {DEFAULT_TENANT['id']}), and does not create "
            f"others ({wanted!r} asked for). Nothing needs creating: every client and agent "
            "uses that tenant — skip this step, or ask for --name default --slug default."
        )
    return DEFAULT_TENANT["id"]
