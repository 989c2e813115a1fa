package trustlist

import "errors"

// ErrMalformed is wrapped by every error caused by input that does not decode
// as the object it claims to be. Callers map it to exit status 2.
var ErrMalformed = errors.New("malformed input")
