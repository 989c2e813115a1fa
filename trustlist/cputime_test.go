package trustlist_test

import "github.com/accord-network/accord/trustlist"

// reportCPU starts measuring; call the returned function after the loop.
var reportCPU = trustlist.ReportCPU
