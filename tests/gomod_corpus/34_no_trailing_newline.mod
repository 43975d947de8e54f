module example.com/nonewline

go 1.24

tool github.com/apache/airflow/go-sdk/cmd/airflow-go-pack