package hcert

import (
	"github.com/accord-network/accord/internal/hc1"
	"github.com/accord-network/accord/verify"
)

// schemaCheck turns the DCC schema check off when false, so tests can tell
// "not evaluated" from "failed" should a build ever lack it.
var schemaCheck = true

// checkSchema reports the EU DCC JSON schema verdict, taken while decoding
// (dccschema.ValidateCBOR: the release the DCC's ver names).
func checkSchema(r *verify.Result, d *hc1.Decoded, t *verify.TextBuf) {
	if !schemaCheck {
		r.Add(verify.CheckSchema, verify.Skip, "no EU DCC JSON schema validator in this build")
		return
	}
	if d.SchemaErr != nil {
		r.Add(verify.CheckSchema, verify.Fail, "%v", d.SchemaErr)
		return
	}
	addCheck(r, verify.CheckSchema, verify.Pass, t.Join("the DCC conforms to the EU DCC JSON schema (its ver is ", d.DCC.Ver, ")"))
}
