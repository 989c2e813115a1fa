package main

import (
	"time"

	"github.com/urfave/cli/v2"

	"github.com/accord-network/accord/internal/httpfetch"
)

// statusOnlineFlagName is the switch that lets verification go online for
// W3C credentials' status lists (spec/openattestation.md §11.7).
const statusOnlineFlagName = "status-online"

func statusOnlineFlag() *cli.BoolFlag {
	return &cli.BoolFlag{Name: statusOnlineFlagName, EnvVars: []string{"ACCORD_STATUS_ONLINE"},
		Usage: "fetch the status lists W3C credentials point to (BitstringStatusList, StatusList2021) over HTTPS to check revocation and suspension; the issuer's server then learns which lists are checked, and when"}
}

// nodeStatusMaxAge is how long a node reuses a fetched status list: an
// issuer's revocation reaches a node's verdicts within it.
const nodeStatusMaxAge = 5 * time.Minute

// statusFetcher returns the status list fetcher --status-online asks for, or
// nil (offline, the default). A CLI run fetches each list once; a node
// refetches after nodeStatusMaxAge.
func statusFetcher(c *cli.Context, maxAge time.Duration) *httpfetch.Fetcher {
	if !c.Bool(statusOnlineFlagName) {
		return nil
	}
	return httpfetch.New(httpfetch.Options{MaxAge: maxAge})
}
