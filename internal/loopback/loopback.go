// Package loopback finds free addresses on 127.0.0.1 for the processes the
// tests and benchmarks start (PostgreSQL clusters, serve replicas, HAProxy).
package loopback

import (
	"fmt"
	"net"
)

// FreeAddr returns a free address on 127.0.0.1 ("127.0.0.1:PORT"). Another
// process may take the port before the caller's process binds it; on
// loopback, for a few processes, that is rare enough.
func FreeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("loopback: free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// FreePort is FreeAddr's port.
func FreePort() (int, error) {
	a, err := FreeAddr()
	if err != nil {
		return 0, err
	}
	addr, err := net.ResolveTCPAddr("tcp", a)
	if err != nil {
		return 0, fmt.Errorf("loopback: %w", err)
	}
	return addr.Port, nil
}
