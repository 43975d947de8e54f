module example.com/crlf

go 1.24

require (
	github.com/apache/airflow/go-sdk v0.1.0 // indirect
)

tool github.com/apache/airflow/go-sdk/cmd/airflow-go-pack
