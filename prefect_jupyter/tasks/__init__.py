"""The task library: Prefect 1's ready-made tasks at Prefect 1's paths.

``core`` (constants, collections, functions, operators, resource managers) and ``control_flow``
(case, merge, ifelse, switch) are the building blocks every flow uses. The integrations are one
subpackage each, imported on demand; their third-party libraries are extras of the package:

- ``shell`` (``ShellTask``), ``powershell``, ``database`` (SQLite), ``files``, ``secrets``;
- ``postgres`` (extra ``sql``), ``jupyter`` (``ExecuteNotebook``, extra ``notebook-tasks``),
  ``templates`` (Jinja: extra ``templates``), ``notifications`` (Slack: extra ``notifications``),
  ``aws`` (extra ``aws``), ``prefect`` (flows of flows on the server).
"""
