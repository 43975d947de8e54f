package sdk

// A bundle's two connections to its supervisor. comm carries frames: a 4-byte big-endian
// length, then a MessagePack array; a request is [id, body], a response [id, body, error].
// logs carries one JSON object per line.

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"
)

// dialTimeout bounds how long the runtime tries to reach the supervisor's listeners.
const dialTimeout = 30 * time.Second

// MaxFrame bounds the frames the stand-in accepts.
const MaxFrame = 64 << 20

// Session is a bundle's open connections to its supervisor.
type Session struct {
	Comm net.Conn
	Logs net.Conn

	writeMu sync.Mutex
	logMu   sync.Mutex
	level   int
}

// Frame is one decoded comm frame. Err is set only for a response carrying an error.
type Frame struct {
	ID   int64
	Body map[string]any
	Err  map[string]any
}

// Connect dials both supervisor addresses at once, so the supervisor may accept them in
// either order.
func Connect(comm, logs string) (*Session, error) {
	var commConn, logsConn net.Conn
	var commErr, logsErr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		commConn, commErr = net.DialTimeout("tcp", comm, dialTimeout)
	}()
	go func() {
		defer wg.Done()
		logsConn, logsErr = net.DialTimeout("tcp", logs, dialTimeout)
	}()
	wg.Wait()
	if commErr != nil || logsErr != nil {
		for _, c := range []net.Conn{commConn, logsConn} {
			if c != nil {
				c.Close()
			}
		}
		if commErr != nil {
			return nil, fmt.Errorf("connecting to comm socket %s: %w", comm, commErr)
		}
		return nil, fmt.Errorf("connecting to logs socket %s: %w", logs, logsErr)
	}
	return &Session{Comm: commConn, Logs: logsConn, level: levelFromEnv()}, nil
}

// Close closes both connections.
func (s *Session) Close() {
	s.Comm.Close()
	s.Logs.Close()
}

var levels = map[string]int{"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}

// levelFromEnv reads the level Airflow's supervisor passes in AIRFLOW__LOGGING__LOGGING_LEVEL.
func levelFromEnv() int {
	if n, ok := levels[strings.ToLower(os.Getenv("AIRFLOW__LOGGING__LOGGING_LEVEL"))]; ok {
		return n
	}
	return levels["info"]
}

// Log writes one JSON log line (event, level, timestamp, logger and the attributes) unless the
// level is below the one the supervisor asked for.
func (s *Session) Log(level, event string, attrs map[string]any) {
	if n, ok := levels[level]; ok && n < s.level {
		return
	}
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
	s.logMu.Lock()
	defer s.logMu.Unlock()
	// A supervisor that stopped reading logs must not stop the task, so errors are dropped.
	_, _ = s.Logs.Write(append(data, '\n'))
}

// ReadFrame reads and decodes one comm frame.
func (s *Session) ReadFrame() (Frame, error) {
	var header [4]byte
	if _, err := io.ReadFull(s.Comm, header[:]); err != nil {
		return Frame{}, fmt.Errorf("reading length prefix: %w", err)
	}
	size := binary.BigEndian.Uint32(header[:])
	if size > MaxFrame {
		return Frame{}, fmt.Errorf("frame payload length %d exceeds max %d", size, MaxFrame)
	}
	payload := make([]byte, size)
	if _, err := io.ReadFull(s.Comm, payload); err != nil {
		return Frame{}, fmt.Errorf("reading payload (%d bytes): %w", size, err)
	}
	value, rest, err := DecodeMsgpack(payload)
	if err != nil {
		return Frame{}, fmt.Errorf("decoding frame: %w", err)
	}
	if len(rest) != 0 {
		return Frame{}, errors.New("decoding frame: bytes after the message")
	}
	items, ok := value.([]any)
	if !ok || len(items) < 2 {
		return Frame{}, errors.New("decoding frame: not an array [id, body, ...]")
	}
	id, ok := items[0].(int64)
	if !ok {
		return Frame{}, fmt.Errorf("decoding frame id: got %T", items[0])
	}
	frame := Frame{ID: id}
	if items[1] != nil {
		if frame.Body, ok = items[1].(map[string]any); !ok {
			return Frame{}, fmt.Errorf("body element: expected map, got %T", items[1])
		}
	}
	if len(items) > 2 && items[2] != nil {
		if frame.Err, ok = items[2].(map[string]any); !ok {
			return Frame{}, fmt.Errorf("error element: expected map, got %T", items[2])
		}
	}
	return frame, nil
}

// WriteFrame encodes v as MessagePack and sends it with its length prefix, in one write.
func (s *Session) WriteFrame(v any) error {
	payload, err := EncodeMsgpack(nil, v)
	if err != nil {
		return err
	}
	return s.WriteRaw(append(binary.BigEndian.AppendUint32(nil, uint32(len(payload))), payload...))
}

// SendRequest sends a request frame [id, body].
func (s *Session) SendRequest(id int64, body map[string]any) error {
	return s.WriteFrame([]any{id, body})
}

// WriteRaw sends bytes on the comm connection exactly as given (fixtures use it to lie).
func (s *Session) WriteRaw(data []byte) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	_, err := s.Comm.Write(data)
	return err
}

// WithSession turns fn into a CoordinatorHook: it connects to the supervisor, calls fn and
// closes the session. A connection failure or an error from fn is printed to stderr and ends
// the process with status 1, as the runtime does when the protocol fails.
func WithSession(fn func(s *Session) error) func(comm, logs string) int {
	return func(comm, logs string) int {
		s, err := Connect(comm, logs)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer s.Close()
		if err := fn(s); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		return 0
	}
}
