package verify

import "sync/atomic"

// TextSizer sizes the TextBuf of each verification of one format by the
// text recent verifications of that format wrote, so that a verification
// allocates one buffer of about the size it needs instead of the default
// chunk (fresh memory is much of what a verification costs beyond its
// signature checks).
//
// Contract: the size is a hint only. It decides how much memory the next
// buffer starts with, never what is checked or written: a verification
// that writes more than the hint simply grows its buffer. The hint follows
// the upper envelope of recent text sizes plus a slack of 64 bytes for a
// document with longer names: it rises at once to a larger size, falls by
// an eighth of the difference after a smaller one, and never exceeds 4096
// bytes, so one huge document cannot make every later one allocate much.
//
// The zero value is ready to use (no hint: the first buffer is the default
// chunk). A TextSizer is safe for concurrent use; keep one per format, in a
// package-level variable. Concurrent verifications may overwrite each
// other's update, which only makes the hint less exact.
type TextSizer struct {
	hint atomic.Int32
}

const (
	textSlack   = 64   // room beyond the recent size for longer names
	maxTextHint = 4096 // the bound on a hint
)

// Grow makes room in t for the text recent verifications wrote (see
// TextBuf.Grow). Call it on a verification's fresh TextBuf before the first
// detail is written.
func (s *TextSizer) Grow(t *TextBuf) {
	if h := s.hint.Load(); h > 0 {
		t.Grow(int(h))
	}
}

// Record takes the text t holds (t.Len) into the hint for the next
// verification. Call it once a verification has written all its text,
// typically deferred just after Grow.
func (s *TextSizer) Record(t *TextBuf) {
	s.hint.Store(nextTextHint(s.hint.Load(), t.Len()))
}

// nextTextHint follows the upper envelope of the text sizes: up at once to
// a larger one, down by an eighth of the difference after a smaller one, so
// that documents of varying lengths settle on a buffer that fits them all.
func nextTextHint(hint int32, used int) int32 {
	want := int32(min(used+textSlack, maxTextHint))
	if want >= hint {
		return want
	}
	return hint - (hint-want+7)/8
}
