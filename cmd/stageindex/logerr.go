package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// tlsRefused ends the message of the first connection attempt pgx makes
// under sslmode=prefer, the default, to a server that runs without TLS.
// pgconn exports neither the error type nor a sentinel for it.
const tlsRefused = "tls error: server refused TLS connection"

// cleanErrAttr is the log handler's ReplaceAttr: every error logged (ours,
// the indexer's) goes through cleanConnectError.
func cleanErrAttr(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() != slog.KindAny {
		return a
	}
	if err, ok := a.Value.Any().(error); ok {
		return slog.String(a.Key, cleanConnectError(err).Error())
	}
	return a
}

// cleanConnectError drops, from the text of a pgx connection error, the
// attempts a server refused TLS to when another attempt got a real answer:
// without sslmode in the URL, pgx first tries TLS, then plain text, and
// reports both, so that every "database does not exist" or "password
// authentication failed" came after a "tls error" line that is not the
// problem. The result still unwraps to err.
func cleanConnectError(err error) error {
	var ce *pgconn.ConnectError
	if !errors.As(err, &ce) {
		return err
	}
	multi, ok := errors.Unwrap(ce).(interface{ Unwrap() []error })
	if !ok {
		return err
	}
	var kept []string
	for _, e := range multi.Unwrap() {
		if !strings.HasSuffix(e.Error(), tlsRefused) {
			kept = append(kept, e.Error())
		}
	}
	if len(kept) == 0 || len(kept) == len(multi.Unwrap()) {
		return err
	}
	short := fmt.Sprintf("failed to connect to `user=%s database=%s`: %s",
		ce.Config.User, ce.Config.Database, strings.Join(kept, "; "))
	return &cleanedError{msg: strings.Replace(err.Error(), ce.Error(), short, 1), err: err}
}

// cleanedError is err with a shorter message.
type cleanedError struct {
	msg string
	err error
}

func (e *cleanedError) Error() string { return e.msg }
func (e *cleanedError) Unwrap() error { return e.err }
