package hcert_test

import (
	"github.com/accord-network/accord/internal/hc1"
	hcertissue "github.com/accord-network/accord/issue/hcert"
)

// The tests of this package take documents apart and issue them with the
// internal decoder and the issuing package, under the names they had when
// both lived here. formats/hcert itself imports neither issue/hcert nor
// anything of it.
var (
	Decode             = hc1.Decode
	RevocationQueries  = hc1.RevocationQueries
	appendSigStructure = hc1.AppendSigStructure
	getScratch         = hc1.GetScratch
	Issue              = hcertissue.Issue
	Sign               = hcertissue.Sign
	KID                = hcertissue.KID
	AlgName            = hc1.AlgName
	jsonToCBORValue    = hc1.DCCFromJSON
	encMode            = hc1.EncMode
)

// Decoded is an HC1 taken apart.
type Decoded = hc1.Decoded

// IssueOptions are the issuing options.
type IssueOptions = hcertissue.IssueOptions

func decode(in []byte, d *Decoded, sc *hc1.Scratch) error { return hc1.DecodeWith(in, d, sc) }

const (
	AlgES256 = hc1.AlgES256
	AlgES384 = hc1.AlgES384
	AlgEdDSA = hc1.AlgEdDSA
	AlgPS256 = hc1.AlgPS256
)
