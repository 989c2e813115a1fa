//go:build race

package pdf

// raceEnabled: the test binary runs under the race detector.
const raceEnabled = true
