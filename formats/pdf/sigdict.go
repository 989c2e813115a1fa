package pdf

import (
	pdflib "github.com/digitorus/pdf"
)

// sigDict is what the verification reads from a signature dictionary (a
// signature field's value): read through the PDF library (fromLibrary) or
// by the direct reader (direct.go), which gives the same values for the
// files it reads.
type sigDict struct {
	// lib is the library's value; the zero Value when read directly. Only
	// pdfsign's DocMDP check (a dictionary with /Reference, which the
	// direct reader leaves to the library) and the search of earlier
	// revisions use it.
	lib pdflib.Value

	subFilter, typ                         string // names
	name, reason, location, contactInfo, m string // text strings
	contents                               []byte // /Contents, decoded
	// rangeOK says /ByteRange is an array of four elements; isInt says
	// which are integers, br holds them.
	rangeOK   bool
	isInt     [4]bool
	br        [4]int64
	reference bool // /Reference is not null
}

// sigDictFromLibrary reads v's keys through the library.
func sigDictFromLibrary(v pdflib.Value) sigDict {
	s := sigDict{
		lib:         v,
		subFilter:   v.Key("SubFilter").Name(),
		typ:         v.Key("Type").Name(),
		name:        v.Key("Name").Text(),
		reason:      v.Key("Reason").Text(),
		location:    v.Key("Location").Text(),
		contactInfo: v.Key("ContactInfo").Text(),
		m:           v.Key("M").Text(),
		contents:    []byte(v.Key("Contents").RawString()),
		reference:   v.Key("Reference").Kind() != pdflib.Null,
	}
	if a := v.Key("ByteRange"); a.Kind() == pdflib.Array && a.Len() == 4 {
		s.rangeOK = true
		for i := range s.br {
			if e := a.Index(i); e.Kind() == pdflib.Integer {
				s.isInt[i], s.br[i] = true, e.Int64()
			}
		}
	}
	return s
}

// text returns the text string of the keys describe reports.
func (s *sigDict) text(key string) string {
	switch key {
	case "Reason":
		return s.reason
	case "Location":
		return s.location
	case "ContactInfo":
		return s.contactInfo
	}
	return ""
}
