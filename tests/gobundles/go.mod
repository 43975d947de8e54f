module example.com/gobundles

go 1.24

require example.com/airflow-standin-sdk v0.0.0

replace example.com/airflow-standin-sdk => ../../hatch_airflow_go/scaffold/standin-sdk
