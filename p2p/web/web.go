// Package web is the verifier page every node serves at /: paste or upload a
// document (HC1 string, QR photo, e-BL JSON, signed PDF) and read the verdict,
// each check and its reason. Pages are rendered on the server with
// html/template and work without JavaScript; all assets are embedded, so a node
// on a closed network needs nothing from outside.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/accord-network/accord/internal/checkneed"
	"github.com/accord-network/accord/trustlist"
	"github.com/accord-network/accord/verify"
)

//go:embed static templates
var assets embed.FS

// Backend is what the page needs from a node.
type Backend interface {
	// Verify checks one document against what the node holds; opts carry
	// the officer's choices (offline, country of arrival).
	Verify(ctx context.Context, in []byte, opts verify.Options) (*verify.Result, error)
	// Anchors lists the anchors and lists the node holds.
	Anchors() []trustlist.AnchorInfo
	// RuleCountries lists the countries whose anchors' rule sets the node
	// holds: the choices of the country-of-arrival selector.
	RuleCountries() []string
}

// MaxUpload bounds an uploaded document.
const MaxUpload = 32 << 20

// Options are how the page presents the node.
type Options struct {
	// Operator is who runs this verifier ("Port of Rotterdam customs"),
	// shown in the page header. Empty: the header shows Node.
	Operator string
	// Node identifies the node (e.g. its shortened peer ID), in small print.
	Node string
	// Lang is the page's language (BCP 47, default "en"): entry rules are
	// described in it when their anchor gave a description in it.
	Lang string
}

// ArrivalCookie remembers the officer's country of arrival between
// documents ("none": signature only). The server sets it, so the choice
// holds without JavaScript.
const ArrivalCookie = "accord_arrival"

// Handler serves the page: GET / (the form), POST /verify (a verdict),
// GET /anchors (what the node holds), /static/ (embedded CSS).
func Handler(b Backend, nodeName string) http.Handler {
	return HandlerWith(b, Options{Node: nodeName})
}

// HandlerWith is Handler with the operator's name for the header.
func HandlerWith(b Backend, o Options) http.Handler {
	if o.Lang == "" {
		o.Lang = "en"
	}
	tpl := template.Must(template.New("").Funcs(template.FuncMap{
		"mark":        mark,
		"since":       func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") },
		"fresh":       func(t time.Time) bool { ok, _ := trustlist.Freshness(t, time.Now(), false); return ok },
		"hex8":        func(b []byte) string { s := fmt.Sprintf("%x", b); return s[:min(16, len(s))] },
		"upper":       strings.ToUpper,
		"lower":       strings.ToLower,
		"inc":         func(i int) int { return i + 1 },
		"isPass":      func(s verify.Status) bool { return s == verify.Pass },
		"docName":     docName,
		"checkLabel":  checkLabel,
		"plainReason": plainReason,
		"verdictText": verdictText,
		"verdict":     func(r *verify.Result) string { return string(r.Verdict()) },
		"needHint":    func(r *verify.Result) string { return checkneed.Of(r).Hint },
		"statusWord":  statusWord,
		"ruleWord":    ruleWord,
	}).ParseFS(assets, "templates/*.html"))
	static, _ := fs.Sub(assets, "static")
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServer(http.FS(static))))
	page := func(w http.ResponseWriter, status int, name string, data map[string]any) {
		data["Node"] = o.Node
		data["Operator"] = o.Operator
		data["Lang"] = o.Lang
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; form-action 'self'; frame-ancestors 'none'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.WriteHeader(status)
		if err := tpl.ExecuteTemplate(w, name, data); err != nil {
			fmt.Fprintf(w, "template error: %v", err)
		}
	}
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		page(w, http.StatusOK, "index.html", map[string]any{"Title": "Verify a document", "Arrival": arrivalChoices(b, remembered(r))})
	})
	mux.HandleFunc("POST /verify", func(w http.ResponseWriter, r *http.Request) {
		in, name, err := readDocument(w, r)
		arrival, aerr := chosenArrival(r)
		if err == nil && aerr != nil {
			err = aerr
		}
		if err != nil {
			page(w, http.StatusBadRequest, "index.html", map[string]any{"Title": "Verify a document", "Problem": err.Error(),
				"Arrival": arrivalChoices(b, remembered(r))})
			return
		}
		rememberArrival(w, r, arrival)
		opts := verify.Options{Offline: r.FormValue("offline") == "on"}
		if arrival != "" {
			opts.Arrival = &verify.ArrivalOptions{Country: arrival, Lang: o.Lang}
		}
		res, verr := b.Verify(r.Context(), in, opts)
		status := http.StatusOK
		if verr != nil && errors.Is(verr, verify.ErrMalformed) {
			status = http.StatusUnprocessableEntity
		}
		if res != nil && res.Input == "" {
			res.Input = name
		}
		page(w, status, "result.html", map[string]any{"Title": verdictTitle(res), "R": res, "Offline": r.FormValue("offline") == "on"})
	})
	mux.HandleFunc("GET /anchors", func(w http.ResponseWriter, r *http.Request) {
		as := b.Anchors()
		sort.Slice(as, func(i, j int) bool { return as[i].Country < as[j].Country })
		page(w, http.StatusOK, "anchors.html", map[string]any{"Title": "Anchors and lists", "Anchors": as, "Now": time.Now()})
	})
	return mux
}

// readDocument takes the uploaded file if there is one, else the pasted text.
func readDocument(w http.ResponseWriter, r *http.Request) ([]byte, string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxUpload+1<<20)
	if err := r.ParseMultipartForm(8 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, "", fmt.Errorf("the document is larger than %d MB", MaxUpload>>20)
		}
		if err := r.ParseForm(); err != nil {
			return nil, "", fmt.Errorf("could not read the form: %v", err)
		}
	}
	for _, field := range []string{"file", "photo"} {
		if f, hdr, err := r.FormFile(field); err == nil {
			defer f.Close()
			b, err := io.ReadAll(io.LimitReader(f, MaxUpload+1))
			if err != nil {
				return nil, "", fmt.Errorf("could not read the upload: %v", err)
			}
			if len(b) > MaxUpload {
				return nil, "", fmt.Errorf("the document is larger than %d MB", MaxUpload>>20)
			}
			if len(b) > 0 {
				return b, hdr.Filename, nil
			}
		}
	}
	if text := strings.TrimSpace(r.FormValue("text")); text != "" {
		return []byte(text), "pasted text", nil
	}
	return nil, "", errors.New("choose a file, take a photo of the QR code, or paste the document's text")
}

func mark(s verify.Status) string {
	switch s {
	case verify.Pass:
		return "✓"
	case verify.Fail:
		return "✗"
	case verify.Error:
		return "!"
	}
	return "–"
}
