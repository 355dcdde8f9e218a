"""``flow.register()`` (Prefect 1's batched registration) of local_flow's flow, as a new version."""

import sys

from local_flow import flow

flow_id = flow.register(project_name=sys.argv[1], idempotency_key=None)
print("registered", flow_id)
