package main

// The document formats this binary verifies. Each registers itself with the
// verify package, as image/png does with image.
import (
	_ "github.com/accord-network/accord/formats/hcert"
	_ "github.com/accord-network/accord/formats/openattestation"
	_ "github.com/accord-network/accord/formats/pdf"
	_ "github.com/accord-network/accord/formats/qr"
	_ "github.com/accord-network/accord/formats/vc"
)
