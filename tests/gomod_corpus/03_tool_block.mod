module example.com/dags

go 1.24.3

tool (
	github.com/apache/airflow/go-sdk/cmd/airflow-go-pack
	golang.org/x/tools/cmd/stringer // generates String methods
)

require (
	github.com/apache/airflow/go-sdk v0.1.0
	golang.org/x/tools v0.31.0
)
