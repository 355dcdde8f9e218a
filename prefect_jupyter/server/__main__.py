"""``python -m prefect_jupyter.server``: run the server (what ``ServerProcess`` starts)."""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m prefect_jupyter.server",
        description="Serve prefect_jupyter's GraphQL API (migrating the database first).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=4200, help="TCP port (default 4200)")
    parser.add_argument(
        "--database-url", default=None,
        help="SQLAlchemy URL (default: config server.database.url, an SQLite file)",
    )
    parser.add_argument(
        "--api-token", default=os.environ.get("PREFECT_JUPYTER__SERVER__API_TOKEN") or None,
        help="require this Bearer token (needed to bind a non-loopback address)",
    )
    parser.add_argument(
        "--ui-port", type=int, default=0,
        help="also serve the web UI on this port (default 0: no UI)",
    )
    parser.add_argument(
        "--no-services", dest="services", action="store_false",
        help="don't run the scheduler, zombie killer and Lazarus in this process",
    )
    args = parser.parse_args(argv)

    from prefect_jupyter.server.serving import serve

    try:
        serve(args.host, args.port, args.database_url, args.api_token, ui_port=args.ui_port,
              services=args.services)
    except ValueError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
