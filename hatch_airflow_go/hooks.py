"""Registers the ``airflow_go`` build hook with hatchling (entry point group ``hatch``).

The hyphenated ``airflow-go`` is registered too, as a hook that fails with one message
naming the right table: without it hatchling ends such a build in an UnknownPluginError
traceback.
"""

from __future__ import annotations

from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.plugin import hookimpl

from hatch_airflow_go.plugin import AirflowGoBuildHook, MisspelledNameHook


@hookimpl
def hatch_register_build_hook() -> list[type[BuildHookInterface[Any]]]:
    """The hook class hatchling instantiates for ``[...hooks.airflow_go]`` tables, and the
    one that explains ``[...hooks.airflow-go]``."""
    return [AirflowGoBuildHook, MisspelledNameHook]
