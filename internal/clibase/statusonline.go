package clibase

import (
	"time"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/internal/httpfetch"
)

// StatusOnlineFlagName is the switch that lets verification go online for
// W3C credentials' status lists (spec/openattestation.md §11.7).
const StatusOnlineFlagName = "status-online"

// StatusOnlineFlag is --status-online ($ACCORD_STATUS_ONLINE), for verify and node run.
func StatusOnlineFlag() *cli.BoolFlag {
	return &cli.BoolFlag{Name: StatusOnlineFlagName, EnvVars: []string{"ACCORD_STATUS_ONLINE"},
		Usage: "fetch the status lists W3C credentials point to (BitstringStatusList, StatusList2021) over HTTPS to check revocation and suspension; the issuer's server then learns which lists are checked, and when"}
}

// NodeStatusMaxAge is how long a node reuses a fetched status list: an
// issuer's revocation reaches a node's verdicts within it.
const NodeStatusMaxAge = 5 * time.Minute

// StatusFetcher returns the status list fetcher --status-online asks for, or
// nil (offline, the default). A CLI run fetches each list once; a node
// refetches after NodeStatusMaxAge.
func StatusFetcher(c *cli.Context, maxAge time.Duration) *httpfetch.Fetcher {
	if !c.Bool(StatusOnlineFlagName) {
		return nil
	}
	return httpfetch.New(httpfetch.Options{MaxAge: maxAge})
}
