"""What every resolver gets as ``info.context``: the request's session, loader and budget."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from prefect_jupyter.server.graphql.limits import QueryLimits, RequestBudget
from prefect_jupyter.server.graphql.loader import Loader


@dataclass
class RequestContext:
    """Per-request state shared by the resolvers.

    Attributes:
        session: the request's one transaction (a write transaction for mutations, committed
            only if the whole request succeeds).
        dialect: ``"sqlite"`` or ``"postgresql"``.
        budget: what the request has used of its limits (rows, time).
        loader: prefetched relationship rows for this request.
    """

    session: Session
    dialect: str
    budget: RequestBudget = field(default_factory=lambda: RequestBudget(QueryLimits()))
    loader: Loader = field(init=False)

    def __post_init__(self) -> None:
        self.loader = Loader(self.session, self.dialect, self.budget)
