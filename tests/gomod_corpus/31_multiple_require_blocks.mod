module example.com/multi

go 1.24

require (
	github.com/apache/airflow/go-sdk v0.2.0
	gopkg.in/yaml.v3 v3.0.1
)

require (
	github.com/davecgh/go-spew v1.1.1 // indirect
	github.com/pmezard/go-difflib v1.0.0 // indirect
)

require github.com/apache/airflow/go-sdk v0.3.0

tool github.com/apache/airflow/go-sdk/cmd/airflow-go-pack
