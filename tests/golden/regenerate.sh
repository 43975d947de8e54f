#!/bin/sh
# Re-render tests/golden/manifests/*.yaml from cases.json with the real gopkg.in/yaml.v3.
#
# The Go program in yamlv3/ builds the same yaml.Node tree as upstream's airflow-go-pack
# (plain keys, double-quoted values, dag ids sorted with sort.Strings, indent 2). It needs
# the Go module proxy (or a module cache holding gopkg.in/yaml.v3 v3.0.1) the first time.
# tests/test_render.py compares our renderer with these files and re-runs this program to
# prove they are current; run this script after changing cases.json, then commit both.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
rm -f "$here"/manifests/*.yaml
cd "$here/yamlv3"
GOTOOLCHAIN=local GOFLAGS=-mod=mod go run . -cases "$here/cases.json" -out "$here/manifests"
ls "$here/manifests" | wc -l
