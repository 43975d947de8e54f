module example.com/duptools

go 1.24

tool github.com/apache/airflow/go-sdk/cmd/airflow-go-pack

tool (
	github.com/apache/airflow/go-sdk/cmd/airflow-go-pack
	example.com/duptools/cmd/gen
)
