"""Prefect 1.4.1 reading a finished flow run back: Client, FlowRunView, FlowView (prints JSON)."""

import json
import sys

from prefect import Client
from prefect.backend import FlowRunView, FlowView

run_id = sys.argv[1]
client = Client()
info = client.get_flow_run_info(run_id)
view = FlowRunView.from_flow_run_id(run_id)
tasks = view.get_all_task_runs()
logs = view.get_logs()
flow = FlowView.from_flow_id(view.flow_id)
out = {
    "info_state": type(info.state).__name__,
    "view_state": type(view.state).__name__,
    "task_runs": sorted([t.task_slug, t.map_index, type(t.state).__name__] for t in tasks),
    "log_messages": [line.message for line in logs],
    "flow_name": flow.name, "storage": type(flow.storage).__name__,
    "labels": sorted(view.labels),
    "projects": client.graphql("{ project { name } }").data.project[0].name,
}
print(json.dumps(out))
