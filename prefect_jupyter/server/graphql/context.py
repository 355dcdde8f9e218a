"""What every resolver gets as ``info.context``: the request's session and loader."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from prefect_jupyter.server.graphql.loader import Loader


@dataclass
class RequestContext:
    """Per-request state shared by the resolvers.

    Attributes:
        session: the request's one transaction (a write transaction for mutations, committed
            only if the whole request succeeds).
        dialect: ``"sqlite"`` or ``"postgresql"``.
        loader: prefetched relationship rows for this request.
    """

    session: Session
    dialect: str
    loader: Loader = field(init=False)

    def __post_init__(self) -> None:
        self.loader = Loader(self.session, self.dialect)
