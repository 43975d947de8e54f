"""Airflow's task protocol: running a bundle the way Airflow's supervisor does."""
