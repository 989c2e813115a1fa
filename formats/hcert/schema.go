package hcert

import (
	"github.com/accord-network/accord/formats/dccschema"
	"github.com/accord-network/accord/verify"
)

// schemaValidate is the DCC JSON schema validator. It is a variable so the
// test of the real suite can tell "not evaluated" from "failed" should a
// build ever lack it.
var schemaValidate = func(dcc map[string]any) error { return dccschema.ValidateValue(dcc) }

func checkSchema(r *verify.Result, d *Decoded) {
	if schemaValidate == nil {
		r.Add(verify.CheckSchema, verify.Skip, "no EU DCC JSON schema validator in this build")
		return
	}
	if err := schemaValidate(d.DCC); err != nil {
		r.Add(verify.CheckSchema, verify.Fail, "%v", err)
		return
	}
	ver, _ := d.DCC["ver"].(string)
	r.Add(verify.CheckSchema, verify.Pass, "the DCC conforms to the EU DCC JSON schema (its ver is %s)", ver)
}
