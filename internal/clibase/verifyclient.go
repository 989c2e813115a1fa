package clibase

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/accord-network/accord/verify"
)

// VerifyClient verifies through a node's POST /v1/verify.
type VerifyClient struct {
	base   string
	query  string
	client *http.Client
}

// NewVerifyClient checks that the node answers before any document is sent,
// so a node that is down is one clear error, not one per file.
func NewVerifyClient(ctx context.Context, node string, opts verify.Options) (*VerifyClient, error) {
	u, err := url.Parse(node)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, UsageErr("--node %q is not a node's URL (e.g. http://127.0.0.1:8080)", node)
	}
	nc := &VerifyClient{base: strings.TrimRight(node, "/"), client: &http.Client{Timeout: 60 * time.Second}}
	q := url.Values{}
	if !opts.At.IsZero() {
		q.Set("at", opts.At.Format(time.RFC3339))
	}
	if opts.Offline {
		q.Set("offline", "1")
	}
	for _, kv := range ArrivalQuery(opts.Arrival) {
		k, v, _ := strings.Cut(kv, "=")
		v, _ = url.QueryUnescape(v)
		q.Set(k, v)
	}
	nc.query = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, nc.base+"/healthz", nil)
	if err != nil {
		return nil, UsageErr("--node: %v", err)
	}
	resp, err := nc.client.Do(req)
	if err != nil {
		return nil, InputErr("cannot reach node %s: %v (is `accord node run` listening there? or verify offline with --trust DIR)", node, unwrapURLErr(err))
	}
	resp.Body.Close()
	return nc, nil
}

// ArrivalQuery renders arrival options as POST /v1/verify query parameters.
func ArrivalQuery(a *verify.ArrivalOptions) []string {
	if a == nil {
		return nil
	}
	q := []string{"arrival=" + url.QueryEscape(a.Country)}
	if a.Region != "" {
		q = append(q, "region="+url.QueryEscape(a.Region))
	}
	if a.Lang != "" {
		q = append(q, "lang="+url.QueryEscape(a.Lang))
	}
	return q
}

func unwrapURLErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Verify posts one document. Every way the exchange can go is a result: the
// node's own result, unreadable (the node refused the input: empty, too
// large, undecodable) or not checked (the node could not be reached or
// failed).
func (nc *VerifyClient) Verify(ctx context.Context, name string, data []byte) *verify.Result {
	now := time.Now().UTC()
	u := nc.base + "/v1/verify"
	if nc.query != "" {
		u += "?" + nc.query
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(data))
	if err != nil {
		return verify.NotChecked(name, now, err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := nc.client.Do(req)
	if err != nil {
		return verify.NotChecked(name, now, fmt.Errorf("node %s did not answer: %v", nc.base, unwrapURLErr(err)))
	}
	defer resp.Body.Close()
	body, err := ReadBounded(resp.Body, 16<<20)
	if err != nil {
		return verify.NotChecked(name, now, fmt.Errorf("node %s: reading its answer: %v", nc.base, err))
	}
	var res verify.Result
	if json.Unmarshal(body, &res) == nil && len(res.Checks) > 0 {
		if res.Outcome == "" {
			res.Outcome = res.Verdict()
		}
		return &res
	}
	var e struct {
		Error string `json:"error"`
	}
	msg := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	if len(msg) > 200 {
		msg = msg[:200] + "…"
	}
	switch resp.StatusCode {
	case http.StatusRequestEntityTooLarge:
		return verify.Unreadable(name, now, fmt.Errorf("the node refused the file as too large (%s): %s", resp.Status, msg))
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return verify.Unreadable(name, now, fmt.Errorf("the node could not read it (%s): %s", resp.Status, msg))
	}
	return verify.NotChecked(name, now, fmt.Errorf("node %s answered %s: %s", nc.base, resp.Status, msg))
}
