// Command yamlv3golden renders airflow-metadata.yaml manifests with gopkg.in/yaml.v3 the way
// the upstream Go packer does, so that the Python renderer can be compared with the real
// encoder byte for byte.
//
// The packer builds a yaml.Node tree by hand: structural keys and dag ids are untagged plain
// scalar nodes, every value is a double-quoted scalar node, dag ids are sorted with
// sort.Strings, task lists keep their order, and the encoder uses an indent of 2.
//
// Usage:
//
//	yamlv3golden -cases ../cases.json -out ../manifests   write <out>/<name>.yaml per case
//	yamlv3golden -stdin                                   cases (JSON list) on stdin,
//	                                                      {"name": "yaml text", ...} on stdout
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"gopkg.in/yaml.v3"
)

// sdkInfo is the sdk block of a case; a nil SupervisorSchemaVersion omits that key.
type sdkInfo struct {
	Language                string  `json:"language"`
	Version                 string  `json:"version"`
	SupervisorSchemaVersion *string `json:"supervisor_schema_version"`
}

// dagEntry is one [dag_id, [task_id, ...]] pair of a case.
type dagEntry struct {
	ID    string
	Tasks []string
}

func (d *dagEntry) UnmarshalJSON(data []byte) error {
	var pair []json.RawMessage
	if err := json.Unmarshal(data, &pair); err != nil {
		return err
	}
	if len(pair) != 2 {
		return fmt.Errorf("a dag entry is [dag_id, [task_id, ...]], got %d elements", len(pair))
	}
	if err := json.Unmarshal(pair[0], &d.ID); err != nil {
		return err
	}
	d.Tasks = []string{}
	return json.Unmarshal(pair[1], &d.Tasks)
}

// goldenCase is one manifest to render. A missing source means "main.go"; null omits it.
type goldenCase struct {
	Name            string     `json:"name"`
	MetadataVersion string     `json:"metadata_version"`
	SDK             sdkInfo    `json:"sdk"`
	Source          *string    `json:"source"`
	DAGs            []dagEntry `json:"dags"`
}

// decodeCase reads one case, starting from the defaults so that absent keys keep them.
func decodeCase(raw json.RawMessage) (goldenCase, error) {
	schema := "2026-06-16"
	source := "main.go"
	c := goldenCase{
		MetadataVersion: "1.0",
		SDK:             sdkInfo{Language: "go", Version: "v0.1.0", SupervisorSchemaVersion: &schema},
		Source:          &source,
	}
	err := json.Unmarshal(raw, &c)
	return c, err
}

func plain(value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: value}
}

func quoted(value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Style: yaml.DoubleQuotedStyle, Value: value}
}

// render builds the packer's node tree for a case and encodes it.
func render(c goldenCase) ([]byte, error) {
	sdk := &yaml.Node{Kind: yaml.MappingNode}
	sdk.Content = append(sdk.Content, plain("language"), quoted(c.SDK.Language))
	sdk.Content = append(sdk.Content, plain("version"), quoted(c.SDK.Version))
	if c.SDK.SupervisorSchemaVersion != nil {
		sdk.Content = append(sdk.Content, plain("supervisor_schema_version"), quoted(*c.SDK.SupervisorSchemaVersion))
	}

	tasksByID := make(map[string][]string, len(c.DAGs))
	ids := make([]string, 0, len(c.DAGs))
	for _, d := range c.DAGs {
		if _, seen := tasksByID[d.ID]; seen {
			return nil, fmt.Errorf("case %q: dag id %q given twice", c.Name, d.ID)
		}
		tasksByID[d.ID] = d.Tasks
		ids = append(ids, d.ID)
	}
	sort.Strings(ids)

	dags := &yaml.Node{Kind: yaml.MappingNode}
	for _, id := range ids {
		tasks := &yaml.Node{Kind: yaml.SequenceNode}
		for _, t := range tasksByID[id] {
			tasks.Content = append(tasks.Content, quoted(t))
		}
		dag := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{plain("tasks"), tasks}}
		dags.Content = append(dags.Content, plain(id), dag)
	}

	root := &yaml.Node{Kind: yaml.MappingNode}
	root.Content = append(root.Content, plain("airflow_bundle_metadata_version"), quoted(c.MetadataVersion))
	root.Content = append(root.Content, plain("sdk"), sdk)
	if c.Source != nil {
		root.Content = append(root.Content, plain("source"), quoted(*c.Source))
	}
	root.Content = append(root.Content, plain("dags"), dags)

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("case %q: %w", c.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("case %q: %w", c.Name, err)
	}
	return buf.Bytes(), nil
}

func decodeCases(data []byte) ([]goldenCase, error) {
	var raws []json.RawMessage
	if err := json.Unmarshal(data, &raws); err != nil {
		// cases.json wraps the list in {"cases": [...]} so that it can carry a comment.
		var wrapped struct {
			Cases []json.RawMessage `json:"cases"`
		}
		if err2 := json.Unmarshal(data, &wrapped); err2 != nil {
			return nil, err
		}
		raws = wrapped.Cases
	}
	cases := make([]goldenCase, 0, len(raws))
	for _, raw := range raws {
		c, err := decodeCase(raw)
		if err != nil {
			return nil, err
		}
		cases = append(cases, c)
	}
	return cases, nil
}

func run() error {
	casesPath := flag.String("cases", "", "cases.json to render")
	outDir := flag.String("out", "", "directory for <name>.yaml files")
	fromStdin := flag.Bool("stdin", false, "read cases from stdin and print a JSON object of renderings")
	flag.Parse()

	var data []byte
	var err error
	switch {
	case *fromStdin:
		var buf bytes.Buffer
		if _, err = buf.ReadFrom(os.Stdin); err != nil {
			return err
		}
		data = buf.Bytes()
	case *casesPath != "" && *outDir != "":
		if data, err = os.ReadFile(*casesPath); err != nil {
			return err
		}
	default:
		return fmt.Errorf("usage: yamlv3golden -cases FILE -out DIR | -stdin")
	}

	cases, err := decodeCases(data)
	if err != nil {
		return err
	}
	rendered := make(map[string]string, len(cases))
	for _, c := range cases {
		if _, dup := rendered[c.Name]; dup {
			return fmt.Errorf("case name %q used twice", c.Name)
		}
		text, err := render(c)
		if err != nil {
			return err
		}
		rendered[c.Name] = string(text)
	}

	if *fromStdin {
		out := json.NewEncoder(os.Stdout)
		out.SetEscapeHTML(false)
		return out.Encode(rendered)
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return err
	}
	for name, text := range rendered {
		if err := os.WriteFile(filepath.Join(*outDir, name+".yaml"), []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "yamlv3golden:", err)
		os.Exit(1)
	}
}
