module example.com/dags

go 1.24

tool github.com/apache/airflow/go-sdk/cmd/airflow-go-pack

require github.com/apache/airflow/go-sdk v0.1.0
