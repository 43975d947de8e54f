// Package names holds ids shared by both bundles.
package names

// Prefix starts every DAG id of this project.
const Prefix = "two_subdir_"
