// Command accord-node runs the accord commands that need libp2p: `accord
// node run|publish|pin|status` and `accord demo`. The accord command runs it
// for them (install both: `go install github.com/accord-network/accord/cmd/...`);
// accord itself does not link libp2p, so that verifying starts fast.
package main

import (
	"os"

	"github.com/accord-network/accord/formats/pdf"
	"github.com/accord-network/accord/internal/nodecli"
)

func main() {
	pdf.WorkerMain() // untrusted PDFs are parsed in bounded worker processes (spec/pdf.md)
	os.Exit(nodecli.Main(os.Args, os.Stdout, os.Stderr))
}
