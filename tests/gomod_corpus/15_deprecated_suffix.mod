module example.com/olddags // Deprecated: moved to example.com/v2dags

go 1.24
