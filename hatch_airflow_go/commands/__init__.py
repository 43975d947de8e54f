"""Subcommands of the ``hatch-airflow-go`` CLI, one module each.

Every module here defines ``NAME`` (the subcommand), ``HELP`` (one line), ``ORDER`` (its place
in ``--help``), ``add_arguments(parser)`` and ``run(args) -> int``. :mod:`hatch_airflow_go.cli`
discovers them, so adding a command never edits a shared file.
"""
