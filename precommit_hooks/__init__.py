"""Console entry points of the pre-commit hooks; each calls into :mod:`hatch_airflow_go`."""
