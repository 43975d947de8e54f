// This module holds the ETL DAGs.
//
// Deprecated: the DAGs moved to example.com/etl2.
// Please update your imports.
//
// Thanks.
module example.com/etl
