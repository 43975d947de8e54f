package sdk

// What a running task can ask its supervisor for: connections, variables and XComs. Each call
// is a request frame [id, body] with ids counting up from 0; the answer is the response frame
// with the same id, [id, body, error]. An error arrives in the third slot or as a body of type
// ErrorResponse.

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// TaskInstance is the running task's view of itself and its supervisor.
type TaskInstance struct {
	DagID     string
	TaskID    string
	RunID     string
	TryNumber int64
	MapIndex  int64

	session *Session
	mu      sync.Mutex
	nextID  int64
}

// Connection is an Airflow connection as the supervisor returns it.
type Connection struct {
	ConnID   string
	ConnType string
	Host     string
	Schema   string
	Login    string
	Password string
	Port     int64
	Extra    string
}

// ErrNotFound is wrapped by the error of a call for a connection or variable that does not
// exist.
var ErrNotFound = errors.New("not found")

// APIError is an error answer from the supervisor.
type APIError struct {
	Kind   string
	Detail any
}

func (e *APIError) Error() string {
	if e.Detail != nil {
		return fmt.Sprintf("[%s] %v", e.Kind, e.Detail)
	}
	return e.Kind
}

// Unwrap makes errors.Is(err, ErrNotFound) true for the not-found kinds.
func (e *APIError) Unwrap() error {
	switch e.Kind {
	case "CONNECTION_NOT_FOUND", "VARIABLE_NOT_FOUND", "XCOM_NOT_FOUND":
		return ErrNotFound
	}
	return nil
}

// Log writes a log line for the task.
func (ti *TaskInstance) Log(level, event string, attrs map[string]any) {
	ti.session.Log(level, event, attrs)
}

// communicate sends one request and waits for its response.
func (ti *TaskInstance) communicate(ctx context.Context, body map[string]any) (map[string]any, error) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	id := ti.nextID
	ti.nextID++
	if err := ti.session.SendRequest(id, body); err != nil {
		return nil, err
	}
	for {
		frame, err := ti.session.ReadFrame()
		if err != nil {
			return nil, err
		}
		if frame.ID != id {
			continue // an answer nobody waits for any more
		}
		if frame.Err != nil {
			return nil, apiError(frame.Err)
		}
		if kind, _ := frame.Body["type"].(string); kind == "ErrorResponse" {
			return nil, apiError(frame.Body)
		}
		return frame.Body, nil
	}
}

func apiError(m map[string]any) error {
	kind, _ := m["error"].(string)
	if kind == "" {
		kind = "GENERIC_ERROR"
	}
	return &APIError{Kind: kind, Detail: m["detail"]}
}

// GetConnection asks the supervisor for a connection.
func (ti *TaskInstance) GetConnection(ctx context.Context, connID string) (Connection, error) {
	body, err := ti.communicate(ctx, map[string]any{"type": "GetConnection", "conn_id": connID})
	if err != nil {
		return Connection{}, fmt.Errorf("get connection %q: %w", connID, err)
	}
	text := func(key string) string { s, _ := body[key].(string); return s }
	port, _ := body["port"].(int64)
	return Connection{
		ConnID: text("conn_id"), ConnType: text("conn_type"), Host: text("host"),
		Schema: text("schema"), Login: text("login"), Password: text("password"),
		Port: port, Extra: text("extra"),
	}, nil
}

// GetVariable asks the supervisor for a variable's value.
func (ti *TaskInstance) GetVariable(ctx context.Context, key string) (string, error) {
	body, err := ti.communicate(ctx, map[string]any{"type": "GetVariable", "key": key})
	if err != nil {
		return "", fmt.Errorf("get variable %q: %w", key, err)
	}
	value, _ := body["value"].(string)
	return value, nil
}

// PushXCom stores an XCom for this task instance.
func (ti *TaskInstance) PushXCom(ctx context.Context, key string, value any) error {
	_, err := ti.communicate(ctx, map[string]any{
		"type": "SetXCom", "key": key, "value": value, "dag_id": ti.DagID,
		"run_id": ti.RunID, "task_id": ti.TaskID, "map_index": ti.MapIndex,
	})
	if err != nil {
		return fmt.Errorf("push xcom %q: %w", key, err)
	}
	return nil
}

// PullXCom reads the XCom another task of this DAG run pushed (nil when there is none).
func (ti *TaskInstance) PullXCom(ctx context.Context, taskID, key string) (any, error) {
	body, err := ti.communicate(ctx, map[string]any{
		"type": "GetXCom", "key": key, "dag_id": ti.DagID, "run_id": ti.RunID,
		"task_id": taskID, "map_index": int64(-1), "include_prior_dates": false,
	})
	if err != nil {
		return nil, fmt.Errorf("pull xcom %q from %q: %w", key, taskID, err)
	}
	return body["value"], nil
}
