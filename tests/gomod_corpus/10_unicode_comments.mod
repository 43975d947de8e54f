// Модуль с DAG-ами — données ✓ 日本語
module example.com/unicode // 注释

go 1.24 // ünïcödé

require (
	// Ελληνικά σχόλια
	github.com/apache/airflow/go-sdk v0.1.0 // indirect; 🚀 rocket
)
