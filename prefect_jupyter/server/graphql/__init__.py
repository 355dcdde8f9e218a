"""The GraphQL layer: SDL files in ``schema/``, resolvers that only translate, and the
Hasura-style table queries (``hasura.py`` for ``where``/``order_by``, ``loader.py`` for related
rows without N+1 queries)."""

from prefect_jupyter.server.graphql.execute import build_schema, execute_request

__all__ = ["build_schema", "execute_request"]
