package trustlist

// Benchmark helpers of this package's internal tests that the external
// ones (package trustlist_test) share, so that each exists once.
var (
	ReportCPU           = reportCPU
	BenchSignatureFloor = benchSignatureFloor
	BenchEthEntry       = benchEthEntry
)
