package api

import (
	"context"
	"errors"
	"net"
	"reflect"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/stageindex/stageindex"
)

// DefaultSearchTimeout bounds one search: a normal one takes 1–20 ms, the
// costliest a pupil can type (twelve rare words, all through the typo
// phase) a few hundred.
const DefaultSearchTimeout = time.Second

// statusClientGone is recorded (never sent: nobody listens) when the
// client left before its answer, as nginx does.
const statusClientGone = 499

// errClientGone ends a request whose client closed its connection.
var errClientGone = errors.New("api: the client closed the connection")

// workContext returns the context of a costly request (a search, an
// export): it ends after timeout (none when timeout ≤ 0), or as soon as the
// client closes its connection, so that work nobody waits for stops.
//
// fasthttp gives a handler no signal when its client leaves, so a watcher
// peeks at the socket every 10 ms (recv with MSG_PEEK|MSG_DONTWAIT reads 0
// bytes at end of stream, and consumes nothing: a pipelined request stays
// where fasthttp will read it). Written by hand because neither Fiber nor
// fasthttp offers it.
func workContext(c *fiber.Ctx, timeout time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(context.Background())
	stopTimer := func() bool { return true }
	if timeout > 0 {
		t := time.AfterFunc(timeout, func() { cancel(context.DeadlineExceeded) })
		stopTimer = t.Stop
	}
	done := make(chan struct{})
	if raw, ok := rawConn(c.Context().Conn()); ok {
		go watchPeer(raw, done, func() { cancel(errClientGone) })
	}
	return ctx, func() {
		stopTimer()
		close(done)
		cancel(context.Canceled)
	}
}

// watchPeer calls gone when the peer of raw has closed its end, polling
// until done is closed.
func watchPeer(raw syscall.RawConn, done <-chan struct{}, gone func()) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	buf := make([]byte, 1)
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		closed := false
		err := raw.Control(func(fd uintptr) {
			n, _, err := syscall.Recvfrom(int(fd), buf, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			closed = n == 0 && err == nil || errors.Is(err, syscall.ECONNRESET)
		})
		if err != nil || closed {
			gone()
			return
		}
	}
}

// workError maps the end of a work context to the API's errors: a budget
// spent is a 503 the client may retry; a client gone gets nothing.
func workError(ctx context.Context, err error) error {
	switch cause := context.Cause(ctx); {
	case err == nil:
		return nil
	case errors.Is(cause, errClientGone):
		return errClientGone
	case errors.Is(cause, context.DeadlineExceeded):
		return stageindex.Errorf(stageindex.EUNAVAILABLE, msgTooLong)
	}
	return err
}

// rawConn finds the socket under conn: fasthttp wraps connections (its
// per-IP counter embeds the net.Conn it counts), so wrappers exposing an
// embedded Conn are looked through.
func rawConn(conn net.Conn) (syscall.RawConn, bool) {
	for range 4 {
		if sc, ok := conn.(syscall.Conn); ok {
			raw, err := sc.SyscallConn()
			return raw, err == nil
		}
		v := reflect.ValueOf(conn)
		if v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return nil, false
		}
		f := v.FieldByName("Conn")
		if !f.IsValid() || !f.CanInterface() {
			return nil, false
		}
		inner, ok := f.Interface().(net.Conn)
		if !ok || inner == nil {
			return nil, false
		}
		conn = inner
	}
	return nil, false
}
