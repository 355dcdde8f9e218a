"""``python -m prefect_jupyter.backend [--id RUN_ID] [--console-level LEVEL]``: execute one flow
run of the server.

What an agent starts for each flow run (``prefect-jupyter execute flow-run`` does the same). An
agent that keeps the process's standard error only for the tail of a crash passes
``--console-level WARNING``: the run's log lines go to the server, not to that file too. The
id comes from ``--id`` or the environment (``PREFECT_JUPYTER__CONTEXT__FLOW_RUN_ID``, or Prefect
1's ``PREFECT__CONTEXT__FLOW_RUN_ID``); the server's address and token from the configuration
(the agent sets ``PREFECT_JUPYTER__CLOUD__GRAPHQL`` and ``PREFECT_JUPYTER__SERVER__API_TOKEN``).

Exit codes: 0 when the run was executed (whatever its final state) or was taken by another
process; 1 when it could not be (no such run, flow not loadable — the run is marked Failed);
2 for a usage error; 75 when the run ended but the server could not take all its reports, which
are spooled to disk for an agent to deliver (``backend/spool.py``); 130/143 when interrupted by
Ctrl-C/SIGTERM.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit code."""
    from prefect_jupyter.backend.execution import (
        FlowRunNotRunnable,
        ReportsSpooled,
        execute_flow_run,
        flow_run_id_from_env,
    )
    from prefect_jupyter.backend.spool import SPOOLED_EXIT_CODE

    parser = argparse.ArgumentParser(prog="python -m prefect_jupyter.backend",
                                     description="Execute one flow run of the server here.")
    parser.add_argument("--id", dest="flow_run_id", help="the flow run's id (default: from env)")
    parser.add_argument("--console-level", metavar="LEVEL",
                        help="write only log lines at LEVEL or above to standard error (e.g. "
                             "WARNING; default: config.logging.level); the server gets the "
                             "run's lines either way")
    args = parser.parse_args(argv)
    if args.console_level:
        from prefect_jupyter.utilities.logging import set_console_level

        try:
            set_console_level(args.console_level)
        except ValueError as exc:
            parser.error(str(exc))
    flow_run_id = args.flow_run_id or flow_run_id_from_env()
    if not flow_run_id:
        print("No flow run to execute: pass --id RUN_ID, or set PREFECT_JUPYTER__CONTEXT__FLOW_RUN_ID.",
              file=sys.stderr)
        return 2
    from prefect_jupyter.utilities.heap import freeze_long_lived

    freeze_long_lived()  # this process ends with its run: its imports never need collecting
    try:
        execute_flow_run(flow_run_id)
    except FlowRunNotRunnable as exc:
        print(exc, file=sys.stderr)
        return 1
    except ReportsSpooled as exc:
        print(exc, file=sys.stderr)
        return SPOOLED_EXIT_CODE
    except KeyboardInterrupt as exc:
        return 143 if "SIGTERM" in str(exc) else 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
