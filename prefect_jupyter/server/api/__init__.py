"""The server's logic: plain functions that take a SQLAlchemy session.

Resolvers in ``server/graphql/`` only translate GraphQL input into calls to these functions and
their results into payloads. Functions here never commit: the caller's transaction (one per
request) commits when the whole request succeeded, so an error part-way writes nothing.
"""
