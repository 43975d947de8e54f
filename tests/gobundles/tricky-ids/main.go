// tricky-ids registers DAG and task ids that a naive YAML writer gets wrong: ids that look
// like numbers, booleans, nulls, dates or YAML syntax, control characters, non-BMP text.
package main

import (
	"strings"

	"example.com/airflow-standin-sdk/sdk"
)

func main() {
	sdk.Generation = 3
	sdk.Version = "(devel)"
	for _, id := range []string{
		"123", "1.5", "true", "yes", "No", "on", "null", "~", "y", "0x1F", ".inf", "-1",
		"2026-06-16", "a: b", "#x", "- x", " lead", "trail ", "", "<<", "=", "*alias", "&anchor",
		"!tag", "%pct", "@at", "`tick", "|pipe", ">fold", "{brace}", "[list]", "comma,", "q\"uote",
		"'single'", "back\\slash", "tab\there", "line\nbreak", "cr\rhere", "nul\x00byte",
		"esc\x1b", "del\x7f", "nel\u0085", "ls\u2028", "bom\ufeff", "nbsp\u00a0",
		"é", "日本語", "emoji\U0001F600", "plain_id", "dotted.id-with/slash", "_under",
	} {
		sdk.AddDAG("dag_" + id).AddTask(id)
	}
	sdk.AddDAG("123").AddTask("t")
	sdk.AddDAG("true").AddTask("t")
	sdk.AddDAG("a: b").AddTask("t")
	sdk.AddDAG("").AddTask("t")
	sdk.AddDAG("empty_tasks")
	sdk.AddDAG(strings.Repeat("long", 300)).AddTask(strings.Repeat("t", 2000))
	sdk.Main()
}
