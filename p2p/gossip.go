package p2p

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"net"
	"strings"
	"sync"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"

	"github.com/accord-network/accord/trustlist"
)

// Gossip topics. Each carries raw signed objects, one per message.
const (
	TopicLists    = "/accord/lists/1"    // trust lists
	TopicAnchors  = "/accord/anchors/1"  // anchor descriptors (v1 and rotations) and endorsements
	TopicEvidence = "/accord/evidence/1" // equivocation evidence
)

// topicKind returns the kind whose topic handle k shares.
func topicKind(k trustlist.Kind) trustlist.Kind {
	if topicFor(k) == TopicAnchors {
		return trustlist.KindDescriptor
	}
	return k
}

// topicFor returns the topic an object kind is published on.
func topicFor(k trustlist.Kind) string {
	switch k {
	case trustlist.KindList:
		return TopicLists
	case trustlist.KindEvidence:
		return TopicEvidence
	case trustlist.KindForeign:
		return TopicForeign
	default:
		return TopicAnchors
	}
}

// messageID identifies a gossip message by the SHA-256 of its content, so the
// same object published by two nodes is one message.
func messageID(m *pb.Message) string {
	s := sha256.Sum256(m.Data)
	return string(s[:])
}

// ScoreParams are the peer-scoring parameters (documented in spec/network.md).
// Only invalid messages (P4) and protocol misbehaviour (P7) cost score;
// first deliveries (P2) earn a little. Mesh-delivery deficits (P3) are off:
// trust lists are rare, so a quiet mesh is normal.
func ScoreParams() (*pubsub.PeerScoreParams, *pubsub.PeerScoreThresholds) {
	topic := func(weight float64) *pubsub.TopicScoreParams {
		return &pubsub.TopicScoreParams{
			TopicWeight:                    weight,
			TimeInMeshWeight:               0.01,
			TimeInMeshQuantum:              time.Second,
			TimeInMeshCap:                  100,
			FirstMessageDeliveriesWeight:   1,
			FirstMessageDeliveriesDecay:    pubsub.ScoreParameterDecay(time.Hour),
			FirstMessageDeliveriesCap:      50,
			InvalidMessageDeliveriesWeight: -100,
			InvalidMessageDeliveriesDecay:  pubsub.ScoreParameterDecay(6 * time.Hour),
			SkipAtomicValidation:           true,
		}
	}
	_, lo4, _ := net.ParseCIDR("127.0.0.0/8")
	_, lo6, _ := net.ParseCIDR("::1/128")
	p := &pubsub.PeerScoreParams{
		SkipAtomicValidation: true,
		Topics: map[string]*pubsub.TopicScoreParams{
			TopicLists: topic(1), TopicAnchors: topic(1), TopicEvidence: topic(1), TopicForeign: topic(1),
		},
		TopicScoreCap:     100,
		AppSpecificScore:  func(peer.ID) float64 { return 0 },
		AppSpecificWeight: 1,
		// Many Sybil identities behind one IP are penalised, except on loopback
		// (tests and co-located nodes).
		IPColocationFactorWeight:    -10,
		IPColocationFactorThreshold: 8,
		IPColocationFactorWhitelist: []*net.IPNet{lo4, lo6},
		BehaviourPenaltyWeight:      -10,
		BehaviourPenaltyThreshold:   6,
		BehaviourPenaltyDecay:       pubsub.ScoreParameterDecay(10 * time.Minute),
		DecayInterval:               time.Second,
		DecayToZero:                 0.01,
		RetainScore:                 time.Hour,
	}
	th := &pubsub.PeerScoreThresholds{
		GossipThreshold:             -100,
		PublishThreshold:            -200,
		GraylistThreshold:           -400,
		AcceptPXThreshold:           10,
		OpportunisticGraftThreshold: 5,
	}
	return p, th
}

// GossipParams are the GossipSub router parameters (spec/network.md §2.3):
// go-libp2p-pubsub's defaults with a smaller mesh. Trust lists are rare and
// large (tens of KB to a few MB), so each copy a node receives beyond the
// first is bandwidth and a validation wasted; a mesh of degree 4 (kept
// between 3 and 6) still reaches 1,000 nodes in about log₃(1000) ≈ 7 hops,
// and IDONTWANT (GossipSub v1.2, sent for every message over 1 KiB before
// validating it) stops most of the rest.
func GossipParams() pubsub.GossipSubParams {
	p := pubsub.DefaultGossipSubParams()
	p.D, p.Dlo, p.Dhi = 4, 3, 6
	p.Dscore = 2 // of the Dhi kept when pruning, the best-scoring
	p.Dout = 1   // outbound peers kept in the mesh (must be < D/2)
	p.Dlazy = 4  // peers sent IHAVE gossip each heartbeat
	return p
}

func (n *Node) startGossip() error {
	n.mesh = &meshTracer{n: n}
	params, th := ScoreParams()
	params.AppSpecificScore, params.AppSpecificWeight = n.appScore, appSpecificWeight
	opts := []pubsub.Option{
		pubsub.WithGossipSubParams(GossipParams()),
		pubsub.WithMessageIdFn(messageID),
		pubsub.WithRawTracer(n.mesh),
		pubsub.WithMaxMessageSize(2*n.cfg.MaxObjectSize + 64<<10),
		pubsub.WithFloodPublish(true),
		pubsub.WithPeerExchange(true),
		// Bursts of updates must queue, not drop: a dropped message waits
		// for a sync (see DropRPC and RejectMessage in meshTracer).
		pubsub.WithPeerOutboundQueueSize(512),
		pubsub.WithValidateQueueSize(512),
		pubsub.WithMessageSignaturePolicy(pubsub.StrictSign),
		pubsub.WithPeerScore(params, th),
		pubsub.WithPeerScoreInspect(func(m map[peer.ID]float64) {
			n.mu.Lock()
			n.scores = m
			n.mu.Unlock()
		}, n.cfg.ScoreInspectInterval),
	}
	if n.cfg.GossipTracer != nil {
		opts = append(opts, pubsub.WithRawTracer(n.cfg.GossipTracer))
	}
	ps, err := pubsub.NewGossipSub(n.ctx, n.host, opts...)
	if err != nil {
		return fmt.Errorf("p2p: gossipsub: %w", err)
	}
	n.ps = ps
	for _, k := range []trustlist.Kind{trustlist.KindList, trustlist.KindDescriptor, trustlist.KindEvidence, trustlist.KindForeign} {
		name := topicFor(k)
		v := n.validate(name)
		if k == trustlist.KindForeign {
			v = n.validateForeign // foreign.go: verified under this node's source pins
		}
		if err := ps.RegisterTopicValidator(name, v, pubsub.WithValidatorTimeout(time.Minute)); err != nil {
			return fmt.Errorf("p2p: validator for %s: %w", name, err)
		}
		t, err := ps.Join(name)
		if err != nil {
			return fmt.Errorf("p2p: join %s: %w", name, err)
		}
		sub, err := t.Subscribe()
		if err != nil {
			return fmt.Errorf("p2p: subscribe %s: %w", name, err)
		}
		n.topics[k] = t
		n.subs = append(n.subs, sub)
		n.wg.Add(1)
		go n.drain(sub)
	}
	n.topics[trustlist.KindEndorsement] = n.topics[trustlist.KindDescriptor]
	for _, k := range []trustlist.Kind{trustlist.KindRuleSet, trustlist.KindValueSets, trustlist.KindRevocations} {
		n.topics[k] = n.topics[topicKind(k)] // publications ride the anchors topic (topicFor)
	}
	return nil
}

// drain reads a subscription: objects were already imported by the
// validator, so delivered messages need no further work.
func (n *Node) drain(sub *pubsub.Subscription) {
	defer n.wg.Done()
	for {
		if _, err := sub.Next(n.ctx); err != nil {
			return
		}
	}
}

// validate is the topic validator: every message is imported (verified and
// stored) before pubsub may relay it. See spec/network.md §Validation.
func (n *Node) validate(topic string) pubsub.ValidatorEx {
	return func(ctx context.Context, from peer.ID, m *pubsub.Message) pubsub.ValidationResult {
		if from == n.host.ID() {
			// Our own publish: the object was imported by whoever called publish.
			return pubsub.ValidationAccept
		}
		if len(m.Data) > n.cfg.MaxObjectSize {
			n.metrics.message(topic, "reject", "oversized")
			return pubsub.ValidationReject
		}
		// A cheap structural peek routes the message; Import below does the
		// one full decode and every check. Only evidence (not a COSE_Sign,
		// and rare) needs trustlist's own peek.
		f, isSigned := peekListFields(m.Data)
		kind := trustlist.Kind(f.Type)
		if !isSigned {
			var err error
			if kind, err = trustlist.PeekKind(m.Data); err != nil {
				n.metrics.message(topic, "reject", string(trustlist.ReasonMalformed))
				return pubsub.ValidationReject
			}
		}
		if topicFor(kind) != topic {
			n.metrics.message(topic, "reject", "wrong_topic")
			return pubsub.ValidationReject
		}
		var head uint64
		if kind == trustlist.KindList {
			// Already held, byte for byte: skip the full verification.
			if held := n.Set().ListRaw(f.Country, f.Seq); held != nil && bytes.Equal(held, m.Data) {
				n.metrics.message(topic, "ignore", string(trustlist.Duplicate))
				return pubsub.ValidationIgnore
			}
			if h := n.Set().Head(f.Country); h != nil {
				head = h.Seq
			}
		}
		d, err := n.imports.Import(m.Data, n.cfg.Now())
		if err != nil {
			n.storeOwed.Store(true) // catch up once the store takes writes again
			n.log.Error("store import failed", "err", err)
			n.metrics.message(topic, "ignore", "store_error")
			return pubsub.ValidationIgnore
		}
		if d.Evidence != nil {
			n.publishEvidence(d.Evidence)
		}
		res, why := verdict(d, head)
		n.metrics.message(topic, res.String(), why)
		if d.Changed() {
			n.logAccepted(d, "gossip", m.ReceivedFrom)
		}
		if why == "gap" {
			// The sender holds lists we miss: fetch them.
			n.goSync(m.ReceivedFrom)
		}
		return pubsub.ValidationResult(res)
	}
}

// verdict maps an import decision to a gossip validation result: reject what
// no honest node would send (the sender's score drops), ignore what an honest
// node may legitimately send but is of no use here.
func verdict(d *trustlist.Decision, head uint64) (vr validationResult, reason string) {
	switch d.Outcome {
	case trustlist.Accepted:
		return validationResult(pubsub.ValidationAccept), string(d.Outcome)
	case trustlist.History, trustlist.Duplicate, trustlist.Pending:
		return validationResult(pubsub.ValidationIgnore), string(d.Outcome)
	}
	switch d.Reason {
	case trustlist.ReasonMalformed, trustlist.ReasonBadSignature, trustlist.ReasonThresholdNotMet, trustlist.ReasonRollback:
		return validationResult(pubsub.ValidationReject), string(d.Reason)
	case trustlist.ReasonBrokenChain:
		if d.Kind == trustlist.KindRevocations {
			// A delta ahead of ours: an honest peer holds deltas we miss.
			return validationResult(pubsub.ValidationIgnore), "gap"
		}
		if d.Kind == trustlist.KindList && head > 0 && d.Number > head+1 {
			return validationResult(pubsub.ValidationIgnore), "gap"
		}
		return validationResult(pubsub.ValidationReject), string(d.Reason)
	case trustlist.ReasonBadVersion:
		if d.Kind == trustlist.KindDescriptor {
			return validationResult(pubsub.ValidationReject), string(d.Reason)
		}
	}
	// unknown_anchor (not admitted by this node's policy), expired,
	// equivocation (the evidence is published separately), bad_version of a
	// list signed under a superseded descriptor: an honest peer may send these.
	return validationResult(pubsub.ValidationIgnore), string(d.Reason)
}

type validationResult pubsub.ValidationResult

func (v validationResult) String() string {
	switch pubsub.ValidationResult(v) {
	case pubsub.ValidationAccept:
		return "accept"
	case pubsub.ValidationReject:
		return "reject"
	default:
		return "ignore"
	}
}

// publish sends raw (already imported) on its kind's topic.
func (n *Node) publish(ctx context.Context, kind trustlist.Kind, raw []byte) error {
	t := n.topics[kind]
	if t == nil {
		return fmt.Errorf("p2p: no topic for %s", kind)
	}
	if err := t.Publish(ctx, raw); err != nil {
		return fmt.Errorf("p2p: publish %s: %w", kind, err)
	}
	return nil
}

func (n *Node) publishEvidence(ev *trustlist.Evidence) { n.republish(trustlist.KindEvidence, ev.Raw()) }

// republish publishes an already imported object in the background.
func (n *Node) republish(kind trustlist.Kind, raw []byte) {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return
	}
	n.wg.Add(1)
	n.mu.Unlock()
	go func() {
		defer n.wg.Done()
		ctx, cancel := context.WithTimeout(n.ctx, 10*time.Second)
		defer cancel()
		if err := n.publish(ctx, kind, raw); err != nil && n.ctx.Err() == nil {
			n.log.Warn("publish", "kind", kind, "err", err)
		}
	}()
}

// Submit imports a signed object (list, descriptor, endorsement or evidence)
// into the store and, if it is new, publishes it to the network. It is what
// POST /v1/lists does.
func (n *Node) Submit(ctx context.Context, raw []byte) (*trustlist.Decision, error) {
	if len(raw) > n.cfg.MaxObjectSize {
		return &trustlist.Decision{Outcome: trustlist.Rejected, Reason: trustlist.ReasonMalformed,
			Detail: fmt.Sprintf("object of %d bytes exceeds the %d byte limit", len(raw), n.cfg.MaxObjectSize)}, nil
	}
	if trustlist.IsForeignObject(raw) {
		return n.submitForeign(ctx, raw)
	}
	d, err := n.store.Import(raw, n.cfg.Now())
	if err != nil {
		n.log.Error("store write failed: submission refused, nothing kept", "err", err)
		return nil, fmt.Errorf("p2p: store: %w", err)
	}
	if n.aheadOfHead(d) {
		// The list is ahead of what this node holds: fetch the gap from
		// peers (as the gossip path does), then decide again.
		if d, err = n.catchUp(ctx, raw, d); err != nil {
			return nil, err
		}
	}
	n.metrics.message("submit", map[bool]string{true: "accept", false: "ignore"}[d.Changed()], string(d.Outcome)+string(d.Reason))
	if d.Evidence != nil {
		n.publishEvidence(d.Evidence)
	}
	if d.Changed() {
		n.logAccepted(d, "submit", "")
	}
	if d.Changed() || d.Outcome == trustlist.Duplicate {
		// Duplicates are republished too: re-announcing is how an operator
		// pushes an object to peers that missed it. Gossip dedups by content.
		if err := n.publish(ctx, d.Kind, raw); err != nil && d.Changed() {
			return d, err
		}
	}
	return d, nil
}

// Pin pins a descriptor as a local trust root (as `accord trust pin` does
// when no node holds the store) and publishes it.
func (n *Node) Pin(ctx context.Context, raw []byte) (*trustlist.Descriptor, error) {
	return n.PinWith(ctx, raw, trustlist.PinOptions{})
}

// PinWith is Pin with the operator's options (an expected hash, an explicit
// replacement): the same rule as `accord trust pin` (trustlist.Set.PinWith).
func (n *Node) PinWith(ctx context.Context, raw []byte, o trustlist.PinOptions) (*trustlist.Descriptor, error) {
	d, err := n.store.PinWith(raw, o)
	if err != nil {
		if errors.Is(err, trustlist.ErrStoreWrite) {
			n.log.Error("store write failed: pin refused, nothing kept", "err", err)
		}
		return nil, err
	}
	n.log.Info(fmt.Sprintf("pinned %s descriptor v%d (%s) as a trust root", d.Country, d.Version, d.Name),
		"country", d.Country, "version", d.Version, "hash", fmt.Sprintf("%x", d.Hash()))
	_ = n.publish(ctx, trustlist.KindDescriptor, raw)
	n.goSyncAll()
	return d, nil
}

// PeerScores returns the latest GossipSub score of each peer.
func (n *Node) PeerScores() map[peer.ID]float64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make(map[peer.ID]float64, len(n.scores))
	for k, v := range n.scores {
		out[k] = v
	}
	return out
}

// Score returns the GossipSub score of p (NaN if unknown).
func (n *Node) Score(p peer.ID) float64 {
	n.mu.Lock()
	defer n.mu.Unlock()
	if s, ok := n.scores[p]; ok {
		return s
	}
	return math.NaN()
}

// meshTracer follows GossipSub mesh membership (GRAFT/PRUNE), for
// GET /v1/peers and for tests that must wait until meshes have formed.
type meshTracer struct {
	n    *Node
	mu   sync.Mutex
	mesh map[string]map[peer.ID]bool
}

func (m *meshTracer) set(p peer.ID, topic string, in bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.mesh == nil {
		m.mesh = map[string]map[peer.ID]bool{}
	}
	if m.mesh[topic] == nil {
		m.mesh[topic] = map[peer.ID]bool{}
	}
	if in {
		m.mesh[topic][p] = true
	} else {
		delete(m.mesh[topic], p)
	}
}

func (m *meshTracer) peers(topic string) []peer.ID {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []peer.ID
	for p := range m.mesh[topic] {
		if m.n.host.Network().Connectedness(p) == network.Connected {
			out = append(out, p)
		}
	}
	return out
}

func (m *meshTracer) Graft(p peer.ID, topic string)            { m.set(p, topic, true) }
func (m *meshTracer) Prune(p peer.ID, topic string)            { m.set(p, topic, false) }
func (m *meshTracer) OnNewOutboundStream(peer.ID, protocol.ID) {}
func (m *meshTracer) OnClosedOutboundStream(peer.ID)           {}
func (m *meshTracer) Join(string)                              {}
func (m *meshTracer) Leave(string)                             {}
func (m *meshTracer) ValidateMessage(*pubsub.Message)          {}
func (m *meshTracer) DeliverMessage(*pubsub.Message)           {}
func (m *meshTracer) RejectMessage(msg *pubsub.Message, why string) {
	// A message this node could not validate for lack of capacity is a
	// missed message: catch up with its sender now, not at the next timer.
	if why == pubsub.RejectValidationThrottled || why == pubsub.RejectValidationQueueFull {
		m.n.missed.WithLabelValues(strings.ReplaceAll(why, " ", "_")).Inc()
		m.n.goSync(msg.ReceivedFrom)
	}
}
func (m *meshTracer) DuplicateMessage(*pubsub.Message) {}
func (m *meshTracer) ThrottlePeer(p peer.ID) {
	m.n.missed.WithLabelValues("peer_throttled").Inc()
	m.n.goSync(p)
}
func (m *meshTracer) RecvRPC(*pubsub.RPC)          {}
func (m *meshTracer) SendRPC(*pubsub.RPC, peer.ID) {}
func (m *meshTracer) DropRPC(rpc *pubsub.RPC, p peer.ID) {
	// Our gossip to p was dropped (its outbound queue was full): ask p to
	// sync with us so it does not wait for its periodic sync.
	if len(rpc.GetPublish()) > 0 && m.n.conn != nil {
		m.n.missed.WithLabelValues("dropped_outbound").Inc()
		m.n.conn.nudge(p)
	}
}
func (m *meshTracer) UndeliverableMessage(*pubsub.Message) {}
