package pdf

// readDirect is filled in by the next commit.
func readDirect(in []byte, scan *scanInfo) (*document, bool) { return nil, false }
