// Package gortbench holds the Go twins of gort's benchmarks (bench/*.cc).
//
// Each Benchmark<Name> here mirrors BM_<Name> on the C++ side, statement for
// statement, and sets GOMAXPROCS to the same value; bench/compare.py pairs
// them by <Name>. Run with: go test -run '^$' -bench . -benchmem
package gortbench
