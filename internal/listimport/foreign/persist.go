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
	"github.com/accord-network/accord/internal/pki"
)

// Layout of a Held in a directory (a trust directory's "foreign" folder):
// pin-FORMAT.pem holds the pinned roots, and each accepted list is kept byte
// for byte as FORMAT_TERRITORY[_lotl].xml.
const (
	pinPrefix = "pin-"
	listExt   = ".xml"
)

func listFile(l *List) string { return strings.ReplaceAll(l.Key(), "/", "_") + listExt }

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
	old, _ := filepath.Glob(filepath.Join(dir, "*"+listExt))
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
	files, err := filepath.Glob(filepath.Join(dir, "*"+listExt))
	if err != nil {
		return nil, nil, err
	}
	sort.SliceStable(files, func(i, j int) bool {
		return strings.HasSuffix(files[i], "_lotl"+listExt) && !strings.HasSuffix(files[j], "_lotl"+listExt)
	})
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
