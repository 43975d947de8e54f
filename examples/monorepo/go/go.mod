module example.com/acme/dags

go 1.24

// The packer pin that upstream recommends for bundle modules. `go build` does not need it;
// `go tool airflow-go-pack` does, once the Go module proxy serves the Airflow Go SDK.
require github.com/apache/airflow/go-sdk v0.1.0

tool github.com/apache/airflow/go-sdk/cmd/airflow-go-pack

// The bundles are written against a standard-library stand-in for the Airflow Go SDK,
// because the module proxy this example is tested with does not serve the real one.
require example.com/airflow-standin-sdk v0.0.0

replace example.com/airflow-standin-sdk => ../../../hatch_airflow_go/scaffold/standin-sdk
