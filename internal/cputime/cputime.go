// Package cputime reads the CPU time this process has used, for benchmarks
// that report it beside wall time: on a machine shared with other work, wall
// time includes waiting for a core and CPU time does not, so a ratio to a
// floor measured in the same run stays meaningful.
package cputime
