package hcert

import (
	"encoding/json"

	"github.com/accord-network/accord/verify"
)

// schemaValidate is the DCC JSON schema validator (formats/dccschema), or
// nil when this build has none.
var schemaValidate func(dccJSON []byte) error

func checkSchema(r *verify.Result, d *Decoded) {
	if schemaValidate == nil {
		r.Add(verify.CheckSchema, verify.Skip, "no EU DCC JSON schema validator in this build")
		return
	}
	b, err := json.Marshal(d.DCC)
	if err != nil {
		r.Add(verify.CheckSchema, verify.Error, "DCC cannot be written as JSON: %v", err)
		return
	}
	if err := schemaValidate(b); err != nil {
		r.Add(verify.CheckSchema, verify.Fail, "%v", err)
		return
	}
	ver, _ := d.DCC["ver"].(string)
	r.Add(verify.CheckSchema, verify.Pass, "the DCC conforms to the EU DCC JSON schema %s", ver)
}
