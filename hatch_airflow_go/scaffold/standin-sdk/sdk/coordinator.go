package sdk

// The coordinator side of a bundle: dial the supervisor's comm and logs addresses, answer one
// DagFileParseRequest with the registered DAGs, and exit. Frames are a 4-byte big-endian length
// followed by a MessagePack array: requests [id, body, ...], responses [id, body, error].

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"
)

// CoordinatorHook, when set, runs instead of the default coordinator behaviour. Test fixtures
// set it to misbehave on purpose (hang, crash, send garbage) while still answering the
// introspection flags normally.
var CoordinatorHook func(comm, logs string) int

// MaxFrame bounds the frames the stand-in accepts; the supervisor's request is tiny.
const MaxFrame = 16 << 20

// serializationVersion is the "__version" Airflow's DAG serializer checks.
const serializationVersion = 3

// Session is a bundle's open connections to its supervisor.
type Session struct {
	Comm net.Conn
	Logs net.Conn
}

// Connect dials both supervisor addresses.
func Connect(comm, logs string) (*Session, error) {
	c, err := net.DialTimeout("tcp", comm, 10*time.Second)
	if err != nil {
		return nil, fmt.Errorf("dial comm %s: %w", comm, err)
	}
	l, err := net.DialTimeout("tcp", logs, 10*time.Second)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("dial logs %s: %w", logs, err)
	}
	return &Session{Comm: c, Logs: l}, nil
}

// Close closes both connections.
func (s *Session) Close() {
	s.Comm.Close()
	s.Logs.Close()
}

// Log writes one JSON log line in the shape the supervisor's log reader expects.
func (s *Session) Log(level, event string, attrs map[string]any) {
	line := map[string]any{
		"event":     event,
		"level":     level,
		"timestamp": time.Now().UTC().Format(time.RFC3339Nano),
		"logger":    "airflow.sdk.standin",
	}
	for k, v := range attrs {
		line[k] = v
	}
	data, err := json.Marshal(line)
	if err != nil {
		return
	}
	// A supervisor that stopped reading logs must not stop the bundle, so errors are dropped.
	_, _ = s.Logs.Write(append(data, '\n'))
}

// ReadRequest reads one request frame and returns its id and body.
func (s *Session) ReadRequest() (int64, map[string]any, error) {
	var header [4]byte
	if _, err := io.ReadFull(s.Comm, header[:]); err != nil {
		return 0, nil, fmt.Errorf("read frame length: %w", err)
	}
	size := binary.BigEndian.Uint32(header[:])
	if size > MaxFrame {
		return 0, nil, fmt.Errorf("frame of %d bytes exceeds the %d-byte limit", size, MaxFrame)
	}
	payload := make([]byte, size)
	if _, err := io.ReadFull(s.Comm, payload); err != nil {
		return 0, nil, fmt.Errorf("read frame payload: %w", err)
	}
	value, rest, err := DecodeMsgpack(payload)
	if err != nil {
		return 0, nil, err
	}
	if len(rest) != 0 {
		return 0, nil, errors.New("frame has bytes after its message")
	}
	frame, ok := value.([]any)
	if !ok || len(frame) < 2 {
		return 0, nil, errors.New("frame is not an array [id, body, ...]")
	}
	id, ok := frame[0].(int64)
	if !ok {
		return 0, nil, errors.New("frame id is not an integer")
	}
	body, ok := frame[1].(map[string]any)
	if !ok {
		return id, nil, errors.New("frame body is not a map")
	}
	return id, body, nil
}

// WriteFrame encodes v as MessagePack and sends it with its length prefix.
func (s *Session) WriteFrame(v any) error {
	payload, err := EncodeMsgpack(nil, v)
	if err != nil {
		return err
	}
	return s.WriteRaw(binary.BigEndian.AppendUint32(nil, uint32(len(payload))), payload)
}

// WriteRaw sends bytes on the comm connection exactly as given (fixtures use it to lie).
func (s *Session) WriteRaw(parts ...[]byte) error {
	for _, p := range parts {
		if _, err := s.Comm.Write(p); err != nil {
			return err
		}
	}
	return nil
}

// ParsingResult is the DagFileParsingResult body for the registered DAGs. Tasks are written as
// Airflow's serializer writes operators, {"__type": "operator", "__var": {"task_id": ...}}, with
// the fields the Go SDK sets for a Go task.
func ParsingResult(file, bundlePath string) map[string]any {
	relative := filepath.Base(file)
	if rel, err := filepath.Rel(bundlePath, file); err == nil && bundlePath != "" {
		relative = rel
	}
	dags := make([]any, 0, len(registry))
	for _, d := range registry {
		tasks := make([]any, 0, len(d.Tasks))
		for _, t := range d.Tasks {
			tasks = append(tasks, map[string]any{
				"__type": "operator",
				"__var": map[string]any{
					"task_id":         t,
					"task_type":       "GoOperator",
					"_task_module":    "airflow.sdk.coordinators.executable",
					"language":        Language,
					"template_fields": []any{},
					"is_stub":         true,
				},
			})
		}
		dags = append(dags, map[string]any{
			"data": map[string]any{
				"__version": serializationVersion,
				"dag": map[string]any{
					"dag_id":           d.ID,
					"fileloc":          file,
					"relative_fileloc": relative,
					"timezone":         "UTC",
					"tasks":            tasks,
				},
			},
		})
	}
	return map[string]any{
		"type":            "DagFileParsingResult",
		"fileloc":         file,
		"serialized_dags": dags,
	}
}

// ErrorBody is the error element of a response frame, shaped like Airflow's ErrorResponse.
func ErrorBody(message string) map[string]any {
	return map[string]any{
		"type":   "ErrorResponse",
		"error":  "GENERIC_ERROR",
		"detail": map[string]any{"message": message},
	}
}

// WithSession turns run into a CoordinatorHook: it connects to the supervisor, calls run,
// and closes the session. A connection failure or an error from run is printed to stderr
// and ends the process with status 1, as an SDK does when it gives up.
func WithSession(run func(s *Session) error) func(comm, logs string) int {
	return func(comm, logs string) int {
		s, err := Connect(comm, logs)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer s.Close()
		if err := run(s); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	}
}

func serveCoordinator(comm, logs string) int {
	if CoordinatorHook != nil {
		return CoordinatorHook(comm, logs)
	}
	return ServeCoordinator(comm, logs)
}

// ServeCoordinator is the default coordinator behaviour: answer one DagFileParseRequest.
func ServeCoordinator(comm, logs string) int {
	s, err := Connect(comm, logs)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	s.Log("info", "connected to supervisor", map[string]any{"sdk_version": Version})
	id, body, err := s.ReadRequest()
	if err != nil {
		s.Log("error", "cannot read request", map[string]any{"error": err.Error()})
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	kind, _ := body["type"].(string)
	if kind != "DagFileParseRequest" {
		message := fmt.Sprintf("unexpected request type %q", kind)
		s.Log("error", message, nil)
		_ = s.WriteFrame([]any{id, nil, ErrorBody(message)})
		return 1
	}
	file, _ := body["file"].(string)
	bundlePath, _ := body["bundle_path"].(string)
	if err := s.WriteFrame([]any{id, ParsingResult(file, bundlePath), nil}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	s.Log("info", "parsed dags", map[string]any{"dag_count": len(registry)})
	return 0
}
