module example.com/retractblock

go 1.24

// Versions that shipped a broken DAG parser.
retract (
	v0.5.0
	v0.5.1
)

retract (
	// Own rationale.
	v0.6.0

	v0.6.1
)
