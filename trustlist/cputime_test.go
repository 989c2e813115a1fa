package trustlist_test

import (
	"testing"

	"github.com/accord-network/accord/internal/cputime"
)

// reportCPU starts measuring; call the returned function after the loop.
func reportCPU(b *testing.B) func() {
	start := cputime.Now()
	return func() {
		b.ReportMetric(float64(cputime.Now()-start)/float64(b.N), "cpu-ns/op")
	}
}
