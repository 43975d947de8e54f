module example.com/monorepo/dags

go 1.24

require github.com/apache/airflow/go-sdk v0.0.0-20260101000000-abcdefabcdef

replace github.com/apache/airflow/go-sdk => ../../go-sdk

tool github.com/apache/airflow/go-sdk/cmd/airflow-go-pack
