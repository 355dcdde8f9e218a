"""The hello-world flow from Prefect 1's docs, with only the import changed.

Run it with ``python examples/hello_flow.py``: each run logs "Hello, <name>!".
"""

from prefect_jupyter import Flow, Parameter, task


@task(log_stdout=True)
def say_hello(name):
    print("Hello, {}!".format(name))


with Flow("My First Flow") as flow:
    name = Parameter("name")
    say_hello(name)

if __name__ == "__main__":
    flow.run(name="world")  # "Hello, world!"
    flow.run(name="Marvin")  # "Hello, Marvin!"
