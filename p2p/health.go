package p2p

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/accord-network/accord/trustlist"
)

// Health states of GET /healthz (spec/network.md §Health).
const (
	HealthOK       = "ok"       // taking writes, connected
	HealthDegraded = "degraded" // serving, but alone (no peers): it neither receives nor relays updates
	HealthFailing  = "failing"  // the store cannot take writes: submissions are refused (HTTP 503)
)

// health returns the node's state and the reasons it is not ok.
func (n *Node) health() (string, []string, trustlist.StoreHealth) {
	sh := n.store.Health()
	state, reasons := HealthOK, []string{}
	if !sh.OK {
		state = HealthFailing
		reasons = append(reasons, "store: "+sh.LastError)
	}
	if len(n.host.Network().Peers()) == 0 {
		if state == HealthOK {
			state = HealthDegraded
		}
		reasons = append(reasons, "no peers connected: updates are neither received nor relayed")
	}
	if sh.Skipped > 0 {
		reasons = append(reasons, fmt.Sprintf("store: %d stored records no longer verify and were skipped at open", sh.Skipped))
	}
	return state, reasons, sh
}

// healthCode is the HTTP status of /healthz for a health state.
func healthCode(state string) int {
	if state == HealthFailing {
		return http.StatusServiceUnavailable
	}
	return http.StatusOK
}

// storeErrorResponse maps a store write failure on submit or pin to an
// honest HTTP answer: 507 for a full disk, 503 otherwise, with the reason.
// Nothing was kept, so the same submission may be retried.
func storeErrorResponse(kind string, err error) (int, SubmitResponse) {
	resp := SubmitResponse{Kind: kind, Outcome: "not_stored", Reason: "store_unavailable",
		Detail: err.Error() + "; nothing was kept, retry later"}
	if trustlist.IsNoSpace(err) {
		resp.Reason = "insufficient_storage"
		return http.StatusInsufficientStorage, resp
	}
	return http.StatusServiceUnavailable, resp
}

// isStoreError reports whether err is a store write failure.
func isStoreError(err error) bool { return errors.Is(err, trustlist.ErrStoreWrite) }

func registerHealthMetrics(n *Node) {
	writeErrors := prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "accord_store_write_errors_total",
		Help: "Durable store writes that failed (full disk, I/O error); nothing of them was kept.",
	}, func() float64 { return float64(n.store.Health().WriteErrors) })
	failing := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "accord_store_failing", Help: "1 while the last store write failed.",
	}, func() float64 {
		if n.store.Health().OK {
			return 0
		}
		return 1
	})
	skipped := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "accord_store_skipped_records", Help: "Stored records that no longer verified when the store was opened.",
	}, func() float64 { return float64(n.store.Health().Skipped) })
	n.missed = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "accord_gossip_missed_total",
		Help: "Gossip messages missed for lack of capacity (each starts a catch-up), by why: dropped_outbound, validation_throttled, validation_queue_full, peer_throttled.",
	}, []string{"why"})
	n.metrics.reg.MustRegister(writeErrors, failing, skipped, n.missed)
}
