module example.com/airflow-standin-sdk

go 1.24
