package nodecli

// The document formats a node verifies: all of them. Each registers itself
// with the verify package, as image/png does with image.
import _ "github.com/accord-network/accord/formats/all"
