module example.com/fixtures/twin

go 1.24

require github.com/apache/airflow/go-sdk v0.1.0

tool github.com/apache/airflow/go-sdk/cmd/airflow-go-pack

require example.com/airflow-standin-sdk v0.0.0

replace example.com/airflow-standin-sdk => ../../../hatch_airflow_go/scaffold/standin-sdk
