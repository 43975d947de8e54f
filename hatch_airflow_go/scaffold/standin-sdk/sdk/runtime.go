package sdk

// The task runtime: what the bundle does when Airflow's supervisor starts it with --comm and
// --logs. The first frame must be StartupDetails; the task it names is looked up by dag and
// task id and run, and its end is reported as one terminal frame carrying the StartupDetails
// frame's id: SucceedTask, TaskState (failed, or removed for a task the bundle does not have)
// or RetryTask. The process then exits 0; it exits 1 only when the protocol itself fails.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"regexp"
	"runtime/debug"
	"syscall"
	"time"
)

// CoordinatorHook, when set, runs instead of the runtime. Test fixtures set it to misbehave on
// purpose (hang, crash, send garbage) while still answering the introspection flags normally.
var CoordinatorHook func(comm, logs string) int

var uuidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)

// Serve runs one task for the supervisor at comm and logs. It returns nil once the terminal
// frame is sent, and an error for a protocol failure (the caller exits 1).
func Serve(comm, logs string) error {
	s, err := Connect(comm, logs)
	if err != nil {
		return err
	}
	defer s.Close()
	s.Log("debug", "Connected", map[string]any{"comm": comm, "logs": logs})

	first, err := s.ReadFrame()
	if err != nil {
		s.Log("error", "Cannot read the initial message", map[string]any{"error": err.Error()})
		return fmt.Errorf("reading initial message: %w", err)
	}
	if first.Err != nil {
		s.Log("error", "Received error from supervisor", map[string]any{"error": first.Err})
		return fmt.Errorf("received error from supervisor: %v", first.Err)
	}
	kind, _ := first.Body["type"].(string)
	if kind != "StartupDetails" {
		goType := fmt.Sprintf("*execution.%s", kind)
		if kind == "" {
			goType = fmt.Sprintf("%T", first.Body)
		}
		s.Log("error", "Unexpected initial message type", map[string]any{"type": goType})
		return fmt.Errorf("unexpected initial message type: %s", goType)
	}
	details, err := parseStartupDetails(first.Body)
	if err != nil {
		s.Log("error", "Cannot decode StartupDetails", map[string]any{"error": err.Error()})
		return fmt.Errorf("decoding initial message: %w", err)
	}
	s.Log("debug", "Task execution mode", map[string]any{"dag_id": details.DagID, "task_id": details.TaskID})

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	result := runTask(ctx, s, details)
	if err := s.SendRequest(first.ID, result); err != nil {
		return fmt.Errorf("sending task result: %w", err)
	}
	s.Log("debug", "Task execution complete", nil)
	return nil
}

type startupDetails struct {
	TI          map[string]any
	ID          string
	DagID       string
	TaskID      string
	RunID       string
	TryNumber   int64
	MapIndex    int64
	ShouldRetry bool
}

func parseStartupDetails(body map[string]any) (*startupDetails, error) {
	ti, ok := body["ti"].(map[string]any)
	if !ok {
		return nil, errors.New(`missing key "ti"`)
	}
	d := &startupDetails{TI: ti, MapIndex: -1}
	for key, dest := range map[string]*string{"id": &d.ID, "dag_id": &d.DagID, "task_id": &d.TaskID, "run_id": &d.RunID} {
		value, ok := ti[key].(string)
		if !ok {
			return nil, fmt.Errorf("ti: key %q: expected string, got %T", key, ti[key])
		}
		*dest = value
	}
	if d.TryNumber, ok = ti["try_number"].(int64); !ok {
		return nil, fmt.Errorf("ti: key %q: expected integer, got %T", "try_number", ti["try_number"])
	}
	if n, ok := ti["map_index"].(int64); ok {
		d.MapIndex = n
	}
	if context, ok := body["ti_context"].(map[string]any); ok {
		d.ShouldRetry, _ = context["should_retry"].(bool)
	}
	return d, nil
}

func runTask(ctx context.Context, s *Session, d *startupDetails) map[string]any {
	fn, exists := lookupTask(d.DagID, d.TaskID)
	if !exists {
		s.Log("error", "Task not registered", map[string]any{"dag_id": d.DagID, "task_id": d.TaskID})
		return taskState("removed")
	}
	if !uuidPattern.MatchString(d.ID) {
		s.Log("error", "Invalid task instance UUID from supervisor",
			map[string]any{"dag_id": d.DagID, "task_id": d.TaskID, "ti_id": d.ID})
		return taskState("failed")
	}
	ti := &TaskInstance{
		DagID: d.DagID, TaskID: d.TaskID, RunID: d.RunID,
		TryNumber: d.TryNumber, MapIndex: d.MapIndex, session: s,
	}
	err := callTask(ctx, fn, ti)
	if err == nil {
		return map[string]any{
			"type":          "SucceedTask",
			"state":         "success",
			"end_date":      time.Now().UTC(),
			"task_outlets":  []any{},
			"outlet_events": []any{},
		}
	}
	s.Log("error", "Task failed", map[string]any{"error": err.Error()})
	if d.ShouldRetry {
		return map[string]any{
			"type":         "RetryTask",
			"state":        "up_for_retry",
			"end_date":     time.Now().UTC(),
			"retry_reason": err.Error(),
		}
	}
	return taskState("failed")
}

// callTask runs the task body, turning a panic into an error as the SDK does.
func callTask(ctx context.Context, fn TaskFunc, ti *TaskInstance) (err error) {
	defer func() {
		if r := recover(); r != nil {
			ti.session.Log("error", "Recovered panic in task",
				map[string]any{"error": fmt.Sprint(r), "stack": string(debug.Stack())})
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return fn(ctx, ti)
}

func taskState(state string) map[string]any {
	return map[string]any{"type": "TaskState", "state": state, "end_date": time.Now().UTC()}
}
