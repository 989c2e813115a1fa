package trustlist

import (
	"fmt"
	"sort"
)

// iso3166 holds the 249 officially assigned ISO 3166-1 alpha-2 codes, in
// order, two bytes each (a constant: no table is built at process start).
// Of the user-assigned and reserved codes only the three below are accepted:
// a trust anchor speaks for a country or an organisation, and a verifier
// must be able to show the officer which one (spec/trustlist.md §1.1).
const iso3166 = "" +
	"ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBS" +
	"BTBVBWBYBZCACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEE" +
	"EGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGMGNGPGQGRGSGTGUGWGYHKHM" +
	"HNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLC" +
	"LILKLRLSLTLULVLYMAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNA" +
	"NCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPNPRPSPTPWPYQARERORSRURW" +
	"SASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTMTNTO" +
	"TRTTTVTWTZUAUGUMUSUYUZVAVCVEVGVIVNVUWFWSYEYTZAZMZW"

// ValidCountry reports whether cc is an officially assigned ISO 3166-1 alpha-2
// code in upper case, or one of XK, EU and UN.
func ValidCountry(cc string) bool {
	if len(cc) != 2 {
		return false
	}
	n := len(iso3166) / 2
	i := sort.Search(n, func(i int) bool { return iso3166[2*i:2*i+2] >= cc })
	if i < n && iso3166[2*i:2*i+2] == cc {
		return true
	}
	// Outside the officially assigned set, the codes real trust ecosystems
	// use for real issuers: XK (Kosovo, user-assigned, used by the EU DCC
	// gateway and ICAO), EU (exceptionally reserved: the European Union's
	// own issuers, e.g. the Laissez-Passer CSCA and the LOTL) and UN
	// (exceptionally reserved for the United Nations; used by the UN CSCA
	// and the ICAO master-list signer).
	return cc == "XK" || cc == "EU" || cc == "UN"
}

func checkCountry(cc string) error {
	if !ValidCountry(cc) {
		return fmt.Errorf("%w: country %q is not an ISO 3166-1 alpha-2 code (two upper-case letters, e.g. NL) nor XK, EU or UN", ErrMalformed, cc)
	}
	return nil
}
