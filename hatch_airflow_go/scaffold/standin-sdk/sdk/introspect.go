package sdk

// The three introspection answers, one per SDK generation (newest first):
//   --airflow-metadata [--format json]  YAML (4-space indent, minimal quoting) or the same as JSON
//   --dump-bundle-spec                   JSON {"format_version":"1.0","sdk":{...},"dags":{...}}
//   --bundle-metadata                    JSON {"name":...,"version":...}, no DAGs
// Everything is written by hand so that key order is fixed and the stand-in needs only the
// standard library.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxImplicitKey keeps a mapping key well under YAML's 1024-character limit for implicit keys.
const maxImplicitKey = 1000

// metadataVersion is the value of airflow_bundle_metadata_version the newest SDK reports.
const metadataVersion = "1.0"

// printAirflowMetadata answers --airflow-metadata; format is "" or "yaml" for YAML, "json" for JSON.
func printAirflowMetadata(format string) int {
	var text string
	switch format {
	case "", "yaml":
		text = airflowMetadataYAML()
	case "json":
		text = airflowMetadataJSON()
	default:
		fmt.Fprintf(os.Stderr, "invalid value %q for --format: expected yaml or json\n", format)
		return 2
	}
	return emit(text)
}

// printDumpBundleSpec answers --dump-bundle-spec (the middle generation): compact JSON.
func printDumpBundleSpec() int {
	var b strings.Builder
	b.WriteString(`{"format_version":`)
	b.WriteString(jsonString("1.0"))
	b.WriteString(`,"sdk":{"language":`)
	b.WriteString(jsonString(Language))
	b.WriteString(`,"version":`)
	b.WriteString(jsonString(Version))
	b.WriteString(`},"dags":{`)
	for i, d := range DAGs() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(jsonString(d.ID))
		b.WriteString(`:{"tasks":[`)
		for j, t := range d.Tasks {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(jsonString(t))
		}
		b.WriteString("]}")
	}
	b.WriteString("}}\n")
	return emit(b.String())
}

// printBundleMetadata answers --bundle-metadata (the oldest generation): identity only.
func printBundleMetadata() int {
	return emit(`{"name": ` + jsonString(Language+"-sdk") + `, "version": ` + jsonString(Version) + "}\n")
}

func emit(text string) int {
	w := bufio.NewWriter(os.Stdout)
	if _, err := w.WriteString(text); err != nil {
		fmt.Fprintf(os.Stderr, "writing metadata: %v\n", err)
		return 1
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(os.Stderr, "writing metadata: %v\n", err)
		return 1
	}
	return 0
}

// airflowMetadataYAML renders the metadata as block YAML with a 4-space indent. Scalars are
// plain unless a YAML 1.1 reader (PyYAML) would read them as something other than the same
// string; those are double-quoted.
func airflowMetadataYAML() string {
	var b strings.Builder
	b.WriteString("airflow_bundle_metadata_version: " + yamlScalar(metadataVersion) + "\n")
	b.WriteString("sdk:\n")
	b.WriteString("    language: " + yamlScalar(Language) + "\n")
	b.WriteString("    version: " + yamlScalar(Version) + "\n")
	b.WriteString("    supervisor_schema_version: " + yamlScalar(SupervisorSchemaVersion) + "\n")
	if len(DAGs()) == 0 {
		b.WriteString("dags: {}\n")
		return b.String()
	}
	b.WriteString("dags:\n")
	for _, d := range DAGs() {
		key := yamlScalar(d.ID)
		if len(key) > maxImplicitKey {
			// YAML caps implicit keys at 1024 characters; longer ones need the explicit form.
			b.WriteString("    ? " + key + "\n    :\n")
		} else {
			b.WriteString("    " + key + ":\n")
		}
		if len(d.Tasks) == 0 {
			b.WriteString("        tasks: []\n")
			continue
		}
		b.WriteString("        tasks:\n")
		for _, t := range d.Tasks {
			b.WriteString("            - " + yamlScalar(t) + "\n")
		}
	}
	return b.String()
}

// airflowMetadataJSON renders the same document as 4-space-indented JSON, keys in YAML order.
func airflowMetadataJSON() string {
	var b strings.Builder
	b.WriteString("{\n")
	b.WriteString(`    "airflow_bundle_metadata_version": ` + jsonString(metadataVersion) + ",\n")
	b.WriteString("    \"sdk\": {\n")
	b.WriteString(`        "language": ` + jsonString(Language) + ",\n")
	b.WriteString(`        "version": ` + jsonString(Version) + ",\n")
	b.WriteString(`        "supervisor_schema_version": ` + jsonString(SupervisorSchemaVersion) + "\n")
	b.WriteString("    },\n")
	if len(DAGs()) == 0 {
		b.WriteString("    \"dags\": {}\n}\n")
		return b.String()
	}
	b.WriteString("    \"dags\": {\n")
	for i, d := range DAGs() {
		b.WriteString("        " + jsonString(d.ID) + ": {\n")
		if len(d.Tasks) == 0 {
			b.WriteString("            \"tasks\": []\n")
		} else {
			b.WriteString("            \"tasks\": [\n")
			for j, t := range d.Tasks {
				b.WriteString("                " + jsonString(t))
				if j < len(d.Tasks)-1 {
					b.WriteByte(',')
				}
				b.WriteByte('\n')
			}
			b.WriteString("            ]\n")
		}
		b.WriteString("        }")
		if i < len(DAGs())-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString("    }\n}\n")
	return b.String()
}

// jsonString encodes s as a JSON string without HTML escaping (ids are shown to people).
func jsonString(s string) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		// A Go string always encodes (invalid UTF-8 becomes U+FFFD), so this cannot happen.
		panic(err)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// yamlSpecialWords are the plain scalars YAML 1.1 resolves to booleans or null (PyYAML's
// resolvers), plus y/n, which some YAML 1.1 readers treat as booleans too.
var yamlSpecialWords = map[string]bool{
	"y": true, "n": true, "yes": true, "no": true, "true": true, "false": true,
	"on": true, "off": true, "null": true,
}

// yamlScalar writes s plain when that reads back as the same string, else double-quoted.
func yamlScalar(s string) string {
	if yamlPlainSafe(s) {
		return s
	}
	return yamlQuoted(s)
}

// yamlPlainSafe is deliberately narrow: a letter or underscore first (so no number, date,
// sign, indicator or `.inf`), then only letters, digits and `_ . - /`, and not a bool/null word.
func yamlPlainSafe(s string) bool {
	if s == "" || !utf8.ValidString(s) || yamlSpecialWords[strings.ToLower(s)] {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || unicode.IsLetter(r):
			// always fine
		case i == 0:
			return false
		case unicode.IsDigit(r) || r == '.' || r == '-' || r == '/':
			// fine after the first character
		default:
			return false
		}
		// Non-BMP letters would need escaping inside quotes for some readers; keep them quoted.
		if r > 0xFFFF {
			return false
		}
	}
	return true
}

// yamlQuoted double-quotes s, escaping what a YAML double-quoted scalar must not carry raw.
func yamlQuoted(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == 0:
			b.WriteString(`\0`)
		case r < 0x20 || r == 0x7F:
			fmt.Fprintf(&b, `\x%02X`, r)
		case r == 0x85:
			b.WriteString(`\N`)
		case r == 0x2028:
			b.WriteString(`\L`)
		case r == 0x2029:
			b.WriteString(`\P`)
		case r == 0xFEFF || (r >= 0x80 && r < 0xA0) || (r >= 0xD800 && r <= 0xDFFF) || r == 0xFFFE || r == 0xFFFF:
			fmt.Fprintf(&b, `\u%04X`, r)
		case r > 0xFFFF:
			fmt.Fprintf(&b, `\U%08X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
