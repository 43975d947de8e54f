"""``python -m hatch_airflow_go``: the same as the ``hatch-airflow-go`` command."""

from __future__ import annotations

import sys

from hatch_airflow_go.cli import main

sys.exit(main())
