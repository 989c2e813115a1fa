package p2p

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the node's Prometheus series, on a registry of its own (so
// several nodes can run in one process, as the tests do).
type metrics struct {
	reg        *prometheus.Registry
	messages   *prometheus.CounterVec
	syncRounds *prometheus.CounterVec
	syncServed prometheus.Counter
	// syncPenalties counts peers penalised for serving invalid objects by sync.
	syncPenalties *prometheus.CounterVec
	verifies      *prometheus.CounterVec
	verifyTime    prometheus.Histogram
}

func newMetrics(n *Node) *metrics {
	m := &metrics{reg: prometheus.NewRegistry()}
	m.messages = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "accord_messages_total",
		Help: "Objects received by gossip (topic), sync or submit, by validation result and reason.",
	}, []string{"source", "result", "reason"})
	m.syncRounds = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "accord_sync_rounds_total", Help: "Sync rounds this node started, by result.",
	}, []string{"result"})
	m.syncServed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "accord_sync_requests_served_total", Help: "Sync requests answered for peers.",
	})
	m.syncPenalties = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "accord_sync_peer_penalties_total", Help: "Peers penalised and disconnected for serving invalid objects by sync, by request.",
	}, []string{"op"})
	m.verifies = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "accord_verify_total", Help: "Documents verified through POST /v1/verify and the web page, by outcome: valid, invalid, cannot_check, not_checked or malformed (unreadable input).",
	}, []string{"outcome"})
	m.verifyTime = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "accord_verify_seconds", Help: "Latency of POST /v1/verify.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	})
	lists := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "accord_lists_held", Help: "Anchors with a current trust list.",
	}, func() float64 {
		c := 0
		for _, a := range n.Set().Anchors() {
			if a.Seq > 0 {
				c++
			}
		}
		return float64(c)
	})
	anchors := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "accord_anchors_admitted", Help: "Anchors admitted by this node's policy.",
	}, func() float64 { return float64(len(n.Set().Anchors())) })
	peers := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "accord_peers", Help: "Connected libp2p peers.",
	}, func() float64 {
		if n.host == nil {
			return 0
		}
		return float64(len(n.host.Network().Peers()))
	})
	m.reg.MustRegister(listFreshness{n}, m.messages, m.syncRounds, m.syncServed, m.syncPenalties, m.verifies, m.verifyTime, lists, anchors, peers,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) message(source, result, reason string) {
	m.messages.WithLabelValues(source, result, reason).Inc()
}

// listFreshness exports, per anchor with a list, when its head list's
// next_update falls and whether it has passed, so operators can alert before
// verification starts failing on a stale list (spec/network.md §7).
type listFreshness struct{ n *Node }

var (
	nextUpdateDesc = prometheus.NewDesc("accord_list_next_update_seconds",
		"Unix time of the next_update of each anchor's head list; alert when it nears.", []string{"country"}, nil)
	staleDesc = prometheus.NewDesc("accord_list_stale",
		"1 if the anchor's head list is past its next_update (verifiers refuse it online), else 0.", []string{"country"}, nil)
)

func (c listFreshness) Describe(ch chan<- *prometheus.Desc) {
	ch <- nextUpdateDesc
	ch <- staleDesc
}

func (c listFreshness) Collect(ch chan<- prometheus.Metric) {
	now := c.n.cfg.Now()
	for _, a := range c.n.Set().Anchors() {
		if a.Seq == 0 {
			continue
		}
		stale := 0.0
		if !now.Before(a.NextUpdate) {
			stale = 1
		}
		ch <- prometheus.MustNewConstMetric(nextUpdateDesc, prometheus.GaugeValue, float64(a.NextUpdate.Unix()), a.Country)
		ch <- prometheus.MustNewConstMetric(staleDesc, prometheus.GaugeValue, stale, a.Country)
	}
}
