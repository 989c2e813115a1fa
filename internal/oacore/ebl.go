package oacore

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/accord-network/accord/internal/ojson"
	"github.com/accord-network/accord/verify"
)

// The electronic bill of lading follows the DCSA eBL 3.0 transport document
// (spec/openattestation.md §e-BL). A document declares itself a DCSA e-BL by
// carrying transportDocumentReference or transportDocumentTypeCode in its
// data (v2) or credentialSubject (v3). TradeTrust's generic
// "BILL_OF_LADING" template (blNumber, portOfLoading, …) is recognised too,
// with lighter rules.

// EBLKind says which bill-of-lading shape a document has.
type EBLKind int

// Bill-of-lading shapes.
const (
	NotEBL        EBLKind = iota
	EBLDCSA               // DCSA eBL 3.0 transport document fields
	EBLTradeTrust         // TradeTrust generic BILL_OF_LADING template
)

// The field formats, checked byte by byte (they are ASCII patterns):
// UN/LOCODE ^[A-Z]{2}[A-Z2-9]{3}$, ISO date ^\d{4}-\d{2}-\d{2}$, ISO 6346
// container number ^[A-Z]{4}\d{7}$, DCSA document reference ^\S(.{0,18}\S)?$.

func upper(c byte) bool { return c >= 'A' && c <= 'Z' }
func digit(c byte) bool { return c >= '0' && c <= '9' }

func isUNLocode(s string) bool {
	if len(s) != 5 || !upper(s[0]) || !upper(s[1]) {
		return false
	}
	for i := 2; i < 5; i++ {
		if c := s[i]; !upper(c) && !(c >= '2' && c <= '9') {
			return false
		}
	}
	return true
}

func isISODate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i := 0; i < 10; i++ {
		if i != 4 && i != 7 && !digit(s[i]) {
			return false
		}
	}
	return true
}

func isEquipRef(s string) bool {
	if len(s) != 11 {
		return false
	}
	for i := 0; i < 11; i++ {
		if i < 4 && !upper(s[i]) || i >= 4 && !digit(s[i]) {
			return false
		}
	}
	return true
}

// isDocRefDCSA is ^\S(.{0,18}\S)?$ as Go's regexp reads it: 1 to 20
// characters (runes, no newline), the first and last not white space (RE2's
// \s is space, \t, \n, \f, \r).
func isDocRefDCSA(s string) bool {
	if !utf8.ValidString(s) {
		return docRefDCSA().MatchString(s) // as the pattern treats invalid bytes
	}
	n := utf8.RuneCountInString(s)
	if n < 1 || n > 20 || strings.ContainsRune(s, '\n') {
		return false
	}
	space := func(c byte) bool { return c == ' ' || c == '\t' || c == '\f' || c == '\r' }
	return !space(s[0]) && !space(s[len(s)-1])
}

var docRefDCSA = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\S(.{0,18}\S)?$`) })

// Body returns the object holding the bill-of-lading fields of a document
// of the given version whose (unsalted) data or credential is data.
func Body(version int, data *ojson.Value) *ojson.Value {
	if version == 3 {
		return data.Get("credentialSubject")
	}
	// TradeTrust's generic "Bill of Lading v2" template nests the fields one
	// level down, under data.data.
	if in := data.Get("data"); in.Kind() == ojson.Object && data.Get("blNumber") == nil && in.Get("blNumber") != nil {
		return in
	}
	return data
}

// EBLShape reports the bill-of-lading shape a document declares.
func EBLShape(version int, data *ojson.Value) EBLKind {
	b := Body(version, data)
	if b.Get("transportDocumentReference") != nil || b.Get("transportDocumentTypeCode") != nil {
		return EBLDCSA
	}
	tmpl := str(data.Path("$template", "name"))
	if version == 3 {
		tmpl = str(data.Path("openAttestationMetadata", "template", "name"))
	}
	if tmpl == "BILL_OF_LADING" || b.Get("blNumber") != nil {
		return EBLTradeTrust
	}
	return NotEBL
}

// ValidateEBL checks the required fields and formats of a bill of lading
// (its unsalted body) and returns every problem found, one line each.
func ValidateEBL(body *ojson.Value, kind EBLKind) []string {
	missing, invalid := CheckEBL(body, kind)
	return append(missing, invalid...)
}

// CheckEBL is ValidateEBL that separates absent required fields (which an obfuscated
// document may legitimately hide) from malformed ones.
func CheckEBL(body *ojson.Value, kind EBLKind) (missing, invalid []string) {
	var p problems
	switch kind {
	case EBLDCSA:
		validateDCSA(body, &p)
	case EBLTradeTrust:
		p.required(body, "blNumber")
		for _, f := range []string{"portOfLoadingUNLocode", "portOfDischargeUNLocode"} {
			if v := body.Get(f); v != nil {
				p.locode(f, v)
			}
		}
		for _, f := range []string{"shippedOnBoardDate", "issueDate", "dateOfIssue"} {
			if v := body.Get(f); v != nil {
				p.date(f, v)
			}
		}
	}
	return p.missing, p.list
}

type problems struct{ list, missing []string }

func (p *problems) absent(format string, args ...any) {
	p.missing = append(p.missing, fmt.Sprintf(format, args...))
}

func (p *problems) add(format string, args ...any) {
	p.list = append(p.list, fmt.Sprintf(format, args...))
}

func (p *problems) required(obj *ojson.Value, path ...string) *ojson.Value {
	v := obj.Path(path...)
	switch {
	case v == nil || v.Kind() == ojson.Null:
		p.absent("%s is required", strings.Join(path, "."))
		return nil
	case v.Kind() == ojson.String && strings.TrimSpace(str(v)) == "":
		p.add("%s is empty", strings.Join(path, "."))
		return nil
	}
	return v
}

func (p *problems) locode(name string, v *ojson.Value) {
	s, ok := v.Str()
	if !ok || !isUNLocode(s) {
		p.add("%s %s is not a UN/LOCODE (5 characters: country code + 3 letters or digits 2-9)", name, show(v))
	}
}

func (p *problems) date(name string, v *ojson.Value) {
	s, ok := v.Str()
	if !ok || !isISODate(s) {
		p.add("%s %s is not a date (YYYY-MM-DD)", name, show(v))
		return
	}
	if _, err := time.Parse("2006-01-02", s); err != nil {
		p.add("%s %s is not a calendar date", name, show(v))
	}
}

func (p *problems) oneOf(obj *ojson.Value, name string, allowed ...string) {
	v := p.required(obj, name)
	if v == nil {
		return
	}
	s, _ := v.Str()
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	p.add("%s %s is not one of %s", name, show(v), strings.Join(allowed, ", "))
}

func (p *problems) boolean(obj *ojson.Value, name string) (bool, bool) {
	v := p.required(obj, name)
	if v == nil {
		return false, false
	}
	if v.Kind() != ojson.Bool {
		p.add("%s %s is not true or false", name, show(v))
		return false, false
	}
	b, _ := v.Boolean()
	return b, true
}

func (p *problems) count(obj *ojson.Value, name string) float64 {
	v := obj.Get(name)
	if v == nil {
		return 0
	}
	n, ok := v.Num()
	if !ok || n < 0 || n != float64(int64(n)) {
		p.add("%s %s is not a whole number ≥ 0", name, show(v))
		return 0
	}
	return n
}

func show(v *ojson.Value) string { return Clip(string(ojson.Stringify(v))) }

func validateDCSA(b *ojson.Value, p *problems) {
	if b.Kind() != ojson.Object {
		p.add("the bill of lading is not an object")
		return
	}
	if v := p.required(b, "transportDocumentReference"); v != nil {
		if s, ok := v.Str(); !ok || !isDocRefDCSA(s) {
			p.add("transportDocumentReference %s must be 1 to 20 characters", show(v))
		}
	}
	p.oneOf(b, "transportDocumentTypeCode", "BOL", "SWB")
	p.oneOf(b, "freightPaymentTermCode", "PRE", "COL")
	shipped, okShipped := p.boolean(b, "isShippedOnBoardType")
	toOrder, okOrder := p.boolean(b, "isToOrder")
	if v := p.required(b, "issueDate"); v != nil {
		p.date("issueDate", v)
	}
	if okShipped {
		name := "receivedForShipmentDate"
		if shipped {
			name = "shippedOnBoardDate"
		}
		if v := p.required(b, name); v != nil {
			p.date(name, v)
		}
	}
	n := p.count(b, "numberOfOriginalsWithCharges") + p.count(b, "numberOfOriginalsWithoutCharges")
	if str(b.Get("transportDocumentTypeCode")) == "BOL" && n < 1 {
		p.add("a BOL needs numberOfOriginalsWithCharges + numberOfOriginalsWithoutCharges ≥ 1")
	}
	if str(b.Path("documentParties", "issuingParty", "partyName")) == "" && str(b.Get("carrierCode")) == "" {
		p.absent("the carrier is required: documentParties.issuingParty.partyName or carrierCode")
	}
	p.required(b, "documentParties", "shipper", "partyName")
	if okOrder && !toOrder {
		p.required(b, "documentParties", "consignee", "partyName")
	}
	for i, np := range b.Path("documentParties", "notifyParties").Elems() {
		if str(np.Get("partyName")) == "" {
			p.add("documentParties.notifyParties[%d].partyName is required", i)
		}
	}
	for _, port := range [...][2]string{{"portOfLoading", "transports.portOfLoading.UNLocationCode"}, {"portOfDischarge", "transports.portOfDischarge.UNLocationCode"}} {
		if v := p.required(b, "transports", port[0], "UNLocationCode"); v != nil {
			p.locode(port[1], v)
		}
	}
	for _, place := range [...][2]string{{"placeOfReceipt", "transports.placeOfReceipt.UNLocationCode"}, {"placeOfDelivery", "transports.placeOfDelivery.UNLocationCode"}} {
		if v := b.Path("transports", place[0], "UNLocationCode"); v != nil {
			p.locode(place[1], v)
		}
	}
	vv := b.Path("transports", "vesselVoyages").Elems()
	if shipped && len(vv) == 0 {
		p.add("transports.vesselVoyages is required for a shipped-on-board document")
	}
	for i, v := range vv {
		if str(v.Get("vesselName")) == "" {
			p.add("transports.vesselVoyages[%d].vesselName is required", i)
		}
		if str(v.Get("carrierExportVoyageNumber")) == "" {
			p.add("transports.vesselVoyages[%d].carrierExportVoyageNumber is required", i)
		}
	}
	items := b.Get("consignmentItems").Elems()
	if len(items) == 0 {
		p.add("consignmentItems needs at least one item")
	}
	for i, it := range items {
		if len(it.Get("descriptionOfGoods").Elems()) == 0 && str(it.Get("descriptionOfGoods")) == "" {
			p.add("consignmentItems[%d].descriptionOfGoods is required", i)
		}
	}
	for i, u := range b.Get("utilizedTransportEquipments").Elems() {
		ref := u.Path("equipment", "equipmentReference")
		if s, ok := ref.Str(); !ok || !isEquipRef(s) {
			p.add("utilizedTransportEquipments[%d].equipment.equipmentReference %s is not an ISO 6346 container number (4 letters, 7 digits)", i, show(ref))
		}
		seals := u.Get("seals").Elems()
		if len(seals) == 0 {
			p.add("utilizedTransportEquipments[%d].seals needs at least one seal", i)
		}
		for j, s := range seals {
			if str(s.Get("number")) == "" {
				p.add("utilizedTransportEquipments[%d].seals[%d].number is required", i, j)
			}
		}
	}
}

// EBLSummary returns the fields a port officer reads first.
func EBLSummary(body *ojson.Value, kind EBLKind) []verify.Field {
	f := make([]verify.Field, 0, 12) // the fields below, and the merkle root the caller adds
	add := func(label, value string) {
		if strings.TrimSpace(value) != "" {
			f = append(f, verify.Field{Label: label, Value: value})
		}
	}
	route := func(from, to string) string {
		if from == "" && to == "" {
			return ""
		}
		return orDash(from) + " → " + orDash(to)
	}
	switch kind {
	case EBLDCSA:
		add("Document", "Bill of lading ("+str(body.Get("transportDocumentTypeCode"))+", DCSA eBL 3.0)")
		add("B/L number", str(body.Get("transportDocumentReference")))
		carrier := str(body.Path("documentParties", "issuingParty", "partyName"))
		if carrier == "" {
			carrier = str(body.Get("carrierCode"))
		}
		add("Carrier", carrier)
		add("Shipper", str(body.Path("documentParties", "shipper", "partyName")))
		cons := str(body.Path("documentParties", "consignee", "partyName"))
		if isTrue(body.Get("isToOrder")) {
			if e := str(body.Path("documentParties", "endorsee", "partyName")); e != "" {
				cons = "To order (endorsee " + e + ")"
			} else if cons == "" {
				cons = "To order"
			} else {
				cons = "To order of " + cons
			}
		}
		add("Consignee", cons)
		add("Route", route(str(body.Path("transports", "portOfLoading", "UNLocationCode")), str(body.Path("transports", "portOfDischarge", "UNLocationCode"))))
		if vv := body.Path("transports", "vesselVoyages").Elems(); len(vv) > 0 {
			add("Vessel / voyage", str(vv[0].Get("vesselName"))+" / "+str(vv[0].Get("carrierExportVoyageNumber")))
		}
		add("Issue date", str(body.Get("issueDate")))
		if d := str(body.Get("shippedOnBoardDate")); d != "" {
			add("Shipped on board", d)
		}
	case EBLTradeTrust:
		add("Document", "Bill of lading (TradeTrust)")
		add("B/L number", str(body.Get("blNumber")))
		add("Carrier", str(body.Get("carrierName")))
		add("Shipper", str(body.Path("shipper", "name")))
		add("Consignee", str(body.Path("consignee", "name")))
		from, to := str(body.Get("portOfLoadingUNLocode")), str(body.Get("portOfDischargeUNLocode"))
		if from == "" {
			from = str(body.Get("portOfLoading"))
		}
		if to == "" {
			to = str(body.Get("portOfDischarge"))
		}
		add("Route", route(from, to))
		v := str(body.Get("vessel"))
		if vn := str(body.Get("voyageNo")); vn != "" {
			v += " / " + vn
		}
		add("Vessel / voyage", v)
		date := str(body.Get("issueDate"))
		if date == "" {
			date = str(body.Get("shippedOnBoardDate"))
		}
		add("Issue date", date)
	}
	return f
}

func orDash(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

func isTrue(v *ojson.Value) bool { b, _ := v.Boolean(); return b }

func str(v *ojson.Value) string { s, _ := v.Str(); return s }
