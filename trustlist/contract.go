package trustlist

import (
	"encoding/binary"
	"time"
)

// EntryContract is an entry for a smart contract that records issuance on an
// EVM blockchain: an OpenAttestation document store or token registry. Its
// Data (and kid) is the chain ID as 8 bytes big-endian followed by the
// 20-byte contract address (spec/trustlist.md §1.3, spec/openattestation.md
// §10.1): the anchor, not the document or DNS, says which contract on which
// chain speaks for the named organisation.
const EntryContract EntryKind = "evm_contract"

// contractDataLen is the length of an evm_contract entry's data.
const contractDataLen = 8 + 20

// NewContractEntry makes an entry for contract addr on chain chainID.
func NewContractEntry(chainID uint64, addr []byte, uses []DocType, name, domain string, notBefore, notAfter time.Time) (*Entry, error) {
	data := make([]byte, 8, contractDataLen)
	binary.BigEndian.PutUint64(data, chainID)
	data = append(data, addr...)
	e := &Entry{KID: data, Kind: EntryContract, Data: append([]byte(nil), data...), Uses: uses,
		NotBefore: notBefore.UTC().Truncate(time.Second), NotAfter: notAfter.UTC().Truncate(time.Second), Status: StatusActive, Name: name, Domain: domain}
	return e, e.check()
}

// Contract returns the chain ID and address of an evm_contract entry; ok is
// false for other kinds.
func (e *Entry) Contract() (chainID uint64, addr [20]byte, ok bool) {
	if e.Kind != EntryContract || len(e.Data) != contractDataLen {
		return 0, addr, false
	}
	copy(addr[:], e.Data[8:])
	return binary.BigEndian.Uint64(e.Data[:8]), addr, true
}

// checkContract enforces an evm_contract entry's structure: 28 bytes of
// data, equal to its kid, a non-zero chain ID, no thumbprint, not a CA.
func (e *Entry) checkContract() string {
	switch {
	case e.CA || len(e.Thumbprint) != 0:
		return "an evm_contract entry is not a CA and has no thumbprint"
	case len(e.Data) != contractDataLen || string(e.KID) != string(e.Data):
		return "an evm_contract entry holds an 8-byte chain id and a 20-byte address, which are also its kid"
	case binary.BigEndian.Uint64(e.Data[:8]) == 0:
		return "an evm_contract entry needs a non-zero chain id"
	}
	return ""
}
