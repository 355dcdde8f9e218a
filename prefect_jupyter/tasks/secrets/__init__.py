"""Secret tasks: read a secret when the flow runs, and never store or show its value.

``PrefectSecret("NAME")`` reads `prefect_jupyter.client.secrets.Secret` (local secrets from the
context, the ``[context.secrets]`` configuration or ``PREFECT_JUPYTER__CONTEXT__SECRETS__NAME``);
``EnvVarSecret("NAME")`` reads an environment variable of the process running the task.
"""

from prefect_jupyter.tasks.secrets.base import PrefectSecret, SecretBase
from prefect_jupyter.tasks.secrets.env_var import EnvVarSecret

__all__ = ["EnvVarSecret", "PrefectSecret", "SecretBase"]
