package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
)

// health probes the server at cfg.addr, for container health checks (the
// image has no curl): /healthz answers as soon as the process serves,
// /readyz (--ready) once an index is loaded. It exits 0 on a 200, else 1.
func health(ctx context.Context, cfg config) (int, error) {
	url := "http://" + probeAddr(cfg.addr) + "/healthz"
	if cfg.ready {
		url = "http://" + probeAddr(cfg.addr) + "/readyz"
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 1, fmt.Errorf("health: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 1, fmt.Errorf("health: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return 1, fmt.Errorf("health: GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return 0, nil
}

// probeAddr turns a listen address into one to dial: a wildcard host
// (":8080", "0.0.0.0:8080", "[::]:8080") is reached on loopback.
func probeAddr(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr // let the request report it
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}
