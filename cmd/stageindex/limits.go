package main

import (
	"flag"
	"fmt"
	"strconv"
	"time"

	"github.com/stageindex/stageindex/api"
)

// limitFlags adds serve's flags of the API's limits and partner keys.
func limitFlags(fs *flag.FlagSet, cfg *config) error {
	num := func(env string, def float64) (float64, error) {
		v, err := strconv.ParseFloat(envOr(env, strconv.FormatFloat(def, 'f', -1, 64)), 64)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", env, err)
		}
		return v, nil
	}
	rate, err := num("STAGEINDEX_RATE_LIMIT", api.DefaultRate)
	if err != nil {
		return err
	}
	burst, err := num("STAGEINDEX_RATE_BURST", api.DefaultBurst)
	if err != nil {
		return err
	}
	conns, err := num("STAGEINDEX_MAX_CONNS_PER_IP", api.DefaultMaxConnsPerIP)
	if err != nil {
		return err
	}
	refresh, err := time.ParseDuration(envOr("STAGEINDEX_KEYS_REFRESH", "5s"))
	if err != nil {
		return fmt.Errorf("STAGEINDEX_KEYS_REFRESH: %w", err)
	}
	searchTimeout, err := time.ParseDuration(envOr("STAGEINDEX_SEARCH_TIMEOUT", api.DefaultSearchTimeout.String()))
	if err != nil {
		return fmt.Errorf("STAGEINDEX_SEARCH_TIMEOUT: %w", err)
	}
	fs.DurationVar(&cfg.searchTimeout, "search-timeout", searchTimeout,
		"longest one search may run before a 503; it also stops when its client leaves (STAGEINDEX_SEARCH_TIMEOUT)")
	fs.Float64Var(&cfg.rateLimit, "rate-limit", rate,
		"requests per second one client address may make to /api/v1, sustained; a negative value disables the limit (STAGEINDEX_RATE_LIMIT)")
	fs.IntVar(&cfg.rateBurst, "rate-burst", int(burst),
		"requests one client address may make at once (STAGEINDEX_RATE_BURST)")
	fs.StringVar(&cfg.trustedProxies, "trusted-proxies", envOr("STAGEINDEX_TRUSTED_PROXIES", ""),
		"comma-separated CIDRs of the reverse proxies whose X-Forwarded-For names the client (STAGEINDEX_TRUSTED_PROXIES)")
	fs.IntVar(&cfg.maxConnsPerIP, "max-conns-per-ip", int(conns),
		"open connections one socket address may hold, a proxy included; -1 for no cap (STAGEINDEX_MAX_CONNS_PER_IP)")
	fs.DurationVar(&cfg.keysRefresh, "keys-refresh", refresh,
		"how often partner keys are read again from the database: a revoked key stops working within it (STAGEINDEX_KEYS_REFRESH)")
	return nil
}

// limits turns the flags into the API's limits.
func (cfg config) limits() (api.Limits, error) {
	proxies, err := api.ParseTrustedProxies(cfg.trustedProxies)
	if err != nil {
		return api.Limits{}, fmt.Errorf("--trusted-proxies: %w", err)
	}
	return api.Limits{Rate: cfg.rateLimit, Burst: cfg.rateBurst, MaxConnsPerIP: cfg.maxConnsPerIP, TrustedProxies: proxies}, nil
}
