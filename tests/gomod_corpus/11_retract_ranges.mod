module example.com/retracts

go 1.21

retract (
	v1.0.0 // Published accidentally.
	[v1.1.0, v1.2.5] // Broke the scheduler.
	// Bad tag.
	v1.3.0
)

retract [v0.1.0, v0.2.0]
