"""The hatch-airflow-go test suite."""
