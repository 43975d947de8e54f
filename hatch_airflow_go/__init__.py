"""Build Apache Airflow Go executable bundles as part of a Python build."""

from __future__ import annotations

__version__ = "0.1.0"
