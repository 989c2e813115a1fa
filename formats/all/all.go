// Package all registers every document format Accord verifies, for an app
// that wants them all with one import:
//
//	import _ "github.com/accord-network/accord/formats/all"
//
// It holds EU DCC health certificates ("HC1:" strings, formats/hcert), QR
// code pictures of them (formats/qr), TradeTrust/OpenAttestation e-BLs
// (formats/openattestation), W3C Verifiable Credentials (formats/vc) and
// signed PDFs (formats/pdf). Import single
// format packages instead to keep a binary small.
package all

import (
	_ "github.com/accord-network/accord/formats/hcert"           // EU DCC health certificates
	_ "github.com/accord-network/accord/formats/openattestation" // TradeTrust / OpenAttestation e-BLs
	_ "github.com/accord-network/accord/formats/pdf"             // signed PDFs
	_ "github.com/accord-network/accord/formats/qr"              // QR code pictures
	_ "github.com/accord-network/accord/formats/vc"              // W3C Verifiable Credentials (TrustVC)
)
