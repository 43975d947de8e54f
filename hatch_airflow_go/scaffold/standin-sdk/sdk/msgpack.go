package sdk

// A small MessagePack codec, enough for Airflow's task protocol: nil, booleans, integers,
// floats, strings, binary, arrays, string-keyed maps and extension types, with the timestamp
// extension (type -1) as time.Time both ways: task-sdk sends every datetime that way. The real
// SDK uses a full library; the stand-in keeps to the standard library so bundles build offline.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"
)

// Ext is an extension value of a type the codec has no Go type for.
type Ext struct {
	Type int8
	Data []byte
}

// timestampExt is MessagePack's predefined timestamp extension type.
const timestampExt = -1

// EncodeMsgpack appends the MessagePack encoding of v to buf. Map keys are written sorted so
// that a frame is the same bytes on every run.
func EncodeMsgpack(buf []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(buf, 0xc0), nil
	case bool:
		if x {
			return append(buf, 0xc3), nil
		}
		return append(buf, 0xc2), nil
	case int:
		return encodeInt(buf, int64(x)), nil
	case int64:
		return encodeInt(buf, x), nil
	case uint32:
		return encodeInt(buf, int64(x)), nil
	case float64:
		buf = append(buf, 0xcb)
		return binary.BigEndian.AppendUint64(buf, math.Float64bits(x)), nil
	case string:
		return encodeStr(buf, x), nil
	case []byte:
		return encodeBin(buf, x), nil
	case time.Time:
		return encodeTimestamp(buf, x), nil
	case Ext:
		return encodeExt(buf, x.Type, x.Data), nil
	case map[string]string:
		m := make(map[string]any, len(x))
		for k, v := range x {
			m[k] = v
		}
		return EncodeMsgpack(buf, m)
	case []string:
		buf = encodeLen(buf, len(x), 0x90, 0xdc, 0xdd)
		for _, s := range x {
			buf = encodeStr(buf, s)
		}
		return buf, nil
	case []any:
		buf = encodeLen(buf, len(x), 0x90, 0xdc, 0xdd)
		for _, item := range x {
			var err error
			if buf, err = EncodeMsgpack(buf, item); err != nil {
				return nil, err
			}
		}
		return buf, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		buf = encodeLen(buf, len(x), 0x80, 0xde, 0xdf)
		for _, k := range keys {
			buf = encodeStr(buf, k)
			var err error
			if buf, err = EncodeMsgpack(buf, x[k]); err != nil {
				return nil, err
			}
		}
		return buf, nil
	}
	return nil, fmt.Errorf("msgpack: cannot encode %T", v)
}

// encodeTimestamp writes the smallest of the three timestamp forms that holds t, as msgpack
// libraries do: 32-bit seconds, 30-bit nanoseconds + 34-bit seconds, or 32 + 64 bits.
func encodeTimestamp(buf []byte, t time.Time) []byte {
	sec, nsec := t.Unix(), int64(t.Nanosecond())
	switch {
	case sec >= 0 && sec>>34 == 0 && nsec == 0 && sec <= math.MaxUint32:
		return encodeExt(buf, timestampExt, binary.BigEndian.AppendUint32(nil, uint32(sec)))
	case sec >= 0 && sec>>34 == 0:
		return encodeExt(buf, timestampExt, binary.BigEndian.AppendUint64(nil, uint64(nsec)<<34|uint64(sec)))
	}
	data := binary.BigEndian.AppendUint32(nil, uint32(nsec))
	return encodeExt(buf, timestampExt, binary.BigEndian.AppendUint64(data, uint64(sec)))
}

func encodeExt(buf []byte, kind int8, data []byte) []byte {
	n := len(data)
	switch n {
	case 1, 2, 4, 8, 16:
		fix := map[int]byte{1: 0xd4, 2: 0xd5, 4: 0xd6, 8: 0xd7, 16: 0xd8}[n]
		buf = append(buf, fix, byte(kind))
	default:
		switch {
		case n <= math.MaxUint8:
			buf = append(buf, 0xc7, byte(n), byte(kind))
		case n <= math.MaxUint16:
			buf = append(binary.BigEndian.AppendUint16(append(buf, 0xc8), uint16(n)), byte(kind))
		default:
			buf = append(binary.BigEndian.AppendUint32(append(buf, 0xc9), uint32(n)), byte(kind))
		}
	}
	return append(buf, data...)
}

func encodeInt(buf []byte, n int64) []byte {
	switch {
	case n >= 0 && n <= 0x7f:
		return append(buf, byte(n))
	case n < 0 && n >= -32:
		return append(buf, byte(int8(n)))
	case n >= 0 && n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(buf, 0xce), uint32(n))
	case n >= math.MinInt32 && n <= math.MaxInt32:
		return binary.BigEndian.AppendUint32(append(buf, 0xd2), uint32(int32(n)))
	}
	return binary.BigEndian.AppendUint64(append(buf, 0xd3), uint64(n))
}

// encodeLen writes a container or string header: the fix form (fix|n, for n < 16 or 32) and
// the 16- and 32-bit forms share this shape for arrays and maps.
func encodeLen(buf []byte, n int, fix, c16, c32 byte) []byte {
	switch {
	case n < 16:
		return append(buf, fix|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(buf, c16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(buf, c32), uint32(n))
}

func encodeStr(buf []byte, s string) []byte {
	n := len(s)
	switch {
	case n < 32:
		buf = append(buf, 0xa0|byte(n))
	case n <= math.MaxUint8:
		buf = append(buf, 0xd9, byte(n))
	case n <= math.MaxUint16:
		buf = binary.BigEndian.AppendUint16(append(buf, 0xda), uint16(n))
	default:
		buf = binary.BigEndian.AppendUint32(append(buf, 0xdb), uint32(n))
	}
	return append(buf, s...)
}

func encodeBin(buf []byte, b []byte) []byte {
	n := len(b)
	switch {
	case n <= math.MaxUint8:
		buf = append(buf, 0xc4, byte(n))
	case n <= math.MaxUint16:
		buf = binary.BigEndian.AppendUint16(append(buf, 0xc5), uint16(n))
	default:
		buf = binary.BigEndian.AppendUint32(append(buf, 0xc6), uint32(n))
	}
	return append(buf, b...)
}

var errShort = errors.New("msgpack: data ends inside a value")

// DecodeMsgpack decodes one value from data and returns it with the bytes left over. Integers
// come back as int64, floats as float64, strings as string, binary as []byte, arrays as []any,
// maps as map[string]any (a map with a non-string key is an error), timestamps as time.Time
// (UTC) and other extension values as Ext.
func DecodeMsgpack(data []byte) (any, []byte, error) {
	d := decoder{data: data}
	v, err := d.value(0)
	if err != nil {
		return nil, nil, err
	}
	return v, d.data, nil
}

type decoder struct{ data []byte }

// maxDepth bounds nesting so that a hostile frame cannot exhaust the stack.
const maxDepth = 512

func (d *decoder) take(n uint64) ([]byte, error) {
	if n > uint64(len(d.data)) {
		return nil, errShort
	}
	out := d.data[:n]
	d.data = d.data[n:]
	return out, nil
}

func (d *decoder) uint(size int) (uint64, error) {
	b, err := d.take(uint64(size))
	if err != nil {
		return 0, err
	}
	switch size {
	case 1:
		return uint64(b[0]), nil
	case 2:
		return uint64(binary.BigEndian.Uint16(b)), nil
	case 4:
		return uint64(binary.BigEndian.Uint32(b)), nil
	}
	return binary.BigEndian.Uint64(b), nil
}

func (d *decoder) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, errors.New("msgpack: nesting too deep")
	}
	head, err := d.take(1)
	if err != nil {
		return nil, err
	}
	c := head[0]
	switch {
	case c <= 0x7f:
		return int64(c), nil
	case c >= 0xe0:
		return int64(int8(c)), nil
	case c&0xf0 == 0x80:
		return d.mapOf(uint64(c&0x0f), depth)
	case c&0xf0 == 0x90:
		return d.arrayOf(uint64(c&0x0f), depth)
	case c&0xe0 == 0xa0:
		b, err := d.take(uint64(c & 0x1f))
		return string(b), err
	}
	switch c {
	case 0xc0:
		return nil, nil
	case 0xc2:
		return false, nil
	case 0xc3:
		return true, nil
	case 0xc4, 0xc5, 0xc6, 0xd9, 0xda, 0xdb:
		size := map[byte]int{0xc4: 1, 0xc5: 2, 0xc6: 4, 0xd9: 1, 0xda: 2, 0xdb: 4}[c]
		n, err := d.uint(size)
		if err != nil {
			return nil, err
		}
		b, err := d.take(n)
		if err != nil {
			return nil, err
		}
		if c >= 0xd9 {
			return string(b), nil
		}
		return append([]byte(nil), b...), nil
	case 0xca:
		n, err := d.uint(4)
		return float64(math.Float32frombits(uint32(n))), err
	case 0xcb:
		n, err := d.uint(8)
		return math.Float64frombits(n), err
	case 0xcc, 0xcd, 0xce, 0xcf:
		n, err := d.uint(1 << (c - 0xcc))
		if n > math.MaxInt64 {
			return nil, errors.New("msgpack: unsigned integer too large")
		}
		return int64(n), err
	case 0xd0:
		n, err := d.uint(1)
		return int64(int8(n)), err
	case 0xd1:
		n, err := d.uint(2)
		return int64(int16(n)), err
	case 0xd2:
		n, err := d.uint(4)
		return int64(int32(n)), err
	case 0xd3:
		n, err := d.uint(8)
		return int64(n), err
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8:
		return d.ext(uint64(1) << (c - 0xd4))
	case 0xc7, 0xc8, 0xc9:
		n, err := d.uint(1 << (c - 0xc7))
		if err != nil {
			return nil, err
		}
		return d.ext(n)
	case 0xdc, 0xdd:
		n, err := d.uint(2 << (c - 0xdc))
		if err != nil {
			return nil, err
		}
		return d.arrayOf(n, depth)
	case 0xde, 0xdf:
		n, err := d.uint(2 << (c - 0xde))
		if err != nil {
			return nil, err
		}
		return d.mapOf(n, depth)
	}
	return nil, fmt.Errorf("msgpack: unsupported type byte 0x%02x", c)
}

func (d *decoder) ext(n uint64) (any, error) {
	head, err := d.take(1)
	if err != nil {
		return nil, err
	}
	data, err := d.take(n)
	if err != nil {
		return nil, err
	}
	kind := int8(head[0])
	if kind != timestampExt {
		return Ext{Type: kind, Data: append([]byte(nil), data...)}, nil
	}
	switch n {
	case 4:
		return time.Unix(int64(binary.BigEndian.Uint32(data)), 0).UTC(), nil
	case 8:
		v := binary.BigEndian.Uint64(data)
		return time.Unix(int64(v&(1<<34-1)), int64(v>>34)).UTC(), nil
	case 12:
		nsec := binary.BigEndian.Uint32(data[:4])
		sec := int64(binary.BigEndian.Uint64(data[4:]))
		return time.Unix(sec, int64(nsec)).UTC(), nil
	}
	return nil, fmt.Errorf("msgpack: timestamp extension of %d bytes", n)
}

func (d *decoder) arrayOf(n uint64, depth int) (any, error) {
	// Every element takes at least one byte, so a count beyond the data left is a lie.
	if n > uint64(len(d.data)) {
		return nil, errShort
	}
	out := make([]any, 0, n)
	for i := uint64(0); i < n; i++ {
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func (d *decoder) mapOf(n uint64, depth int) (any, error) {
	if n > uint64(len(d.data))/2 {
		return nil, errShort
	}
	out := make(map[string]any, n)
	for i := uint64(0); i < n; i++ {
		k, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		key, ok := k.(string)
		if !ok {
			return nil, fmt.Errorf("msgpack: map key of type %T, want string", k)
		}
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out[key] = v
	}
	return out, nil
}
