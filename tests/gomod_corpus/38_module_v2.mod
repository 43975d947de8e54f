module github.com/example/dags/v2

go 1.24

require (
	github.com/apache/airflow/go-sdk v0.1.0
	github.com/example/helpers/v4 v4.0.0-20250101000000-0123456789ab
)

tool github.com/apache/airflow/go-sdk/cmd/airflow-go-pack
