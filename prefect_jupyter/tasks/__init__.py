"""The task library: core building blocks and control flow."""
