module "example.com/quoted"

go 1.24

require "github.com/apache/airflow/go-sdk" "v0.1.0"

replace "example.com/x" => "../x y"

tool "github.com/apache/airflow/go-sdk/cmd/airflow-go-pack"
