"""``python -m prefect_jupyter ...``: the ``prefect-jupyter`` command (as ``python -m prefect``)."""

from prefect_jupyter.cli import main

if __name__ == "__main__":
    main()
