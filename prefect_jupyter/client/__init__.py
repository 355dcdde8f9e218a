"""The API client: GraphQL over HTTP to the prefect_jupyter server (Prefect 1's ``prefect.Client``).

``httpx`` is imported on the first request, so importing this package stays light.

Example:
    >>> from prefect_jupyter.client import Client
    >>> client = Client()                      # config.cloud.graphql, e.g. http://127.0.0.1:4200/graphql
    >>> flow = client.get_flow(flow_id)        # a registered flow, with its code
"""

from prefect_jupyter.client.client import Client
from prefect_jupyter.client.errors import (
    AuthorizationError,
    ClientError,
    ObjectNotFoundError,
    ServerConnectionError,
    ServerUnavailable,
    VersionLockMismatchError,
    WriteRejected,
)
from prefect_jupyter.client.results import (
    FlowRunInfoResult,
    GraphQLResult,
    ProjectInfo,
    TaskRunInfoResult,
)
from prefect_jupyter.client.secrets import Secret

__all__ = [
    "AuthorizationError",
    "Client",
    "ClientError",
    "FlowRunInfoResult",
    "GraphQLResult",
    "ObjectNotFoundError",
    "ProjectInfo",
    "Secret",
    "ServerConnectionError",
    "ServerUnavailable",
    "TaskRunInfoResult",
    "VersionLockMismatchError",
    "WriteRejected",
]
