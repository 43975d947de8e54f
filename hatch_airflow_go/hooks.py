"""Registers the ``airflow_go`` build hook with hatchling (entry point group ``hatch``)."""

from __future__ import annotations

from hatchling.plugin import hookimpl

from hatch_airflow_go.plugin import AirflowGoBuildHook


@hookimpl
def hatch_register_build_hook() -> type[AirflowGoBuildHook]:
    """The hook class hatchling instantiates for ``[...hooks.airflow_go]`` tables."""
    return AirflowGoBuildHook
