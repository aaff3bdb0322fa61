package main

import (
	"fmt"
	"strings"
)

// haproxyServer is one replica behind HAProxy.
type haproxyServer struct{ Name, Addr string }

// haproxyConfig is the HAProxy 2.6 configuration of the local stack: HTTP
// on frontend, round robin over the replicas that answer /readyz with a
// 200, and a request that fails on a replica (refused connection, or a
// connection closed before any answer, as a kill -9 does) retried on
// another one. Only idempotent GETs reach stageindex, so a retry is safe.
func haproxyConfig(frontend, statsSock string, servers []haproxyServer) string {
	var b strings.Builder
	fmt.Fprintf(&b, `# Written by deploy/local (make replicas): HAProxy in front of the replicas.
global
    maxconn 4096
    stats socket %s mode 600 level admin
    log stderr format short local0 warning

defaults
    mode http
    log global
    option dontlognull
    timeout connect 1s
    timeout client 30s
    timeout server 10s
    timeout http-keep-alive 30s
    # A failed attempt is retried up to 3 times, each on another server
    # (redispatch 1): a replica killed mid-request costs a retry, not an error.
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response junk-response response-timeout
    # Not on 5xx: a 503 is a replica shedding load (--search-timeout), and
    # retrying it elsewhere would multiply the load when all are busy.

frontend www
    # The replicas rate-limit by client address: pass it on
    # (X-Forwarded-For), and start them with --trusted-proxies naming us.
    option forwardfor
    bind %s
    default_backend stageindex

backend stageindex
    balance roundrobin
    # Only replicas with an index loaded get traffic: /readyz is 503 until then.
    option httpchk GET /readyz
    http-check expect status 200
    # Checked every 500 ms; out after 2 failures, back after 2 successes.
    default-server check inter 500ms fastinter 250ms downinter 500ms fall 2 rise 2
`, statsSock, frontend)
	for _, s := range servers {
		fmt.Fprintf(&b, "    server %s %s\n", s.Name, s.Addr)
	}
	return b.String()
}
