package foreign

import (
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/accord-network/accord/internal/atomicfile"
	"github.com/accord-network/accord/internal/listimport/dccg"
	"github.com/accord-network/accord/internal/listimport/etsitl"
	"github.com/accord-network/accord/internal/listimport/icaoml"
	"github.com/accord-network/accord/internal/pki"
	"github.com/accord-network/accord/trustlist"
)

// Layout of a Held in a directory (a trust directory's "foreign" folder):
// pin-FORMAT.pem holds the pinned roots, and each accepted list is kept byte
// for byte as FORMAT_TERRITORY[_lotl].EXT (.xml, .json, .ml by format).
const pinPrefix = "pin-"

var listExts = map[string]string{etsitl.Format: ".xml", dccg.Format: ".json", icaoml.Format: ".ml"}

func listFile(l *List) string { return strings.ReplaceAll(l.Key(), "/", "_") + listExts[l.Format] }

// listFiles returns the saved list files of dir: every FORMAT_… file of a
// known format (temporary files of an interrupted write start with a dot).
func listFiles(dir string) ([]string, error) {
	all, err := filepath.Glob(filepath.Join(dir, "*_*"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range all {
		base := filepath.Base(f)
		format, _, _ := strings.Cut(base, "_")
		if ext, ok := listExts[format]; ok && strings.HasSuffix(base, ext) && !strings.HasPrefix(base, ".") {
			out = append(out, f)
		}
	}
	return out, nil
}

// Save writes h's pins and lists into dir, each file atomically, and removes
// list files of slots h no longer holds (lists refused on Load).
func (h *Held) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("foreign lists directory: %w", err)
	}
	keep := map[string]bool{}
	for _, l := range h.lists {
		keep[listFile(l)] = true
	}
	old, _ := listFiles(dir)
	for _, f := range old {
		if !keep[filepath.Base(f)] {
			if err := os.Remove(f); err != nil {
				return fmt.Errorf("remove dropped list: %w", err)
			}
		}
	}
	for format, p := range h.pins {
		var b []byte
		for _, c := range p.Roots {
			b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
		}
		if err := atomicfile.WriteFile(filepath.Join(dir, pinPrefix+format+".pem"), b, 0o644); err != nil {
			return fmt.Errorf("save pin %s: %w", format, err)
		}
	}
	for _, l := range h.lists {
		if err := atomicfile.WriteFile(filepath.Join(dir, listFile(l)), l.Raw, 0o644); err != nil {
			return fmt.Errorf("save %s: %w", l.Key(), err)
		}
	}
	return nil
}

// Load reads a Held saved by Save, re-checking every list under the saved
// pins (LOTLs first, so that national lists find their pointers). Lists are
// judged at o.Now; o.Offline keeps stale ones with a warning each. A saved
// list that no longer passes (altered on disk, or a national list whose
// signer the held LOTL no longer names) is reported in the error and not
// held; the returned Held is usable even then.
func Load(dir string, o Options) (*Held, []string, error) {
	h := NewHeld()
	pins, err := filepath.Glob(filepath.Join(dir, pinPrefix+"*.pem"))
	if err != nil {
		return nil, nil, err
	}
	for _, f := range pins {
		if err := h.loadPin(f); err != nil {
			return nil, nil, err
		}
	}
	files, err := listFiles(dir)
	if err != nil {
		return nil, nil, err
	}
	isLOTL := func(f string) bool { return strings.Contains(filepath.Base(f), "_lotl.") }
	sort.SliceStable(files, func(i, j int) bool { return isLOTL(files[i]) && !isLOTL(files[j]) })
	var warns []string
	var errs []error
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		format, _, _ := strings.Cut(filepath.Base(f), "_")
		_, warn, err := h.Accept(format, raw, o)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", filepath.Base(f), err))
			continue
		}
		if warn != "" {
			warns = append(warns, warn)
		}
	}
	return h, warns, errors.Join(errs...)
}

func (h *Held) loadPin(file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("read pin: %w", err)
	}
	format := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(file), pinPrefix), ".pem")
	var roots []*pki.Certificate
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		c, err := pki.Parse(blk.Bytes)
		if err != nil {
			return fmt.Errorf("pin %s: %w", format, err)
		}
		roots = append(roots, c)
	}
	return h.PinSource(Pin{Format: format, Roots: roots})
}

// SaveList writes one accepted list into dir, atomically and durably (the
// pins are written by Save): what a node does after accepting a list from
// the network.
func SaveList(dir string, l *List) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("foreign lists directory: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, listFile(l)), l.Raw, 0o644); err != nil {
		return fmt.Errorf("save %s: %w", l.Key(), err)
	}
	return nil
}

// ImportObject accepts obj (AcceptObject) and writes it into dir before
// returning; if the write fails, the held list of its slot is restored and
// the error wraps trustlist.ErrStoreWrite, so nothing of obj was kept.
func (h *Held) ImportObject(dir string, obj *trustlist.ForeignObject, o Options) (*List, string, error) {
	prev := h.lists[obj.Slot()]
	l, warn, err := h.AcceptObject(obj, o)
	if err != nil {
		return nil, "", err
	}
	if err := SaveList(dir, l); err != nil {
		if prev != nil {
			h.lists[l.Key()] = prev
		} else {
			delete(h.lists, l.Key())
		}
		return nil, "", fmt.Errorf("%w: %v", trustlist.ErrStoreWrite, err)
	}
	return l, warn, nil
}
