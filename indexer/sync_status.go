package indexer

import (
	"time"
)

// SyncStatus is a Syncer's state, for /readyz and /metrics.
type SyncStatus struct {
	// Ready is set once an index serves searches.
	Ready bool
	// CatchingUp is set while an index reopened from disk, its database
	// answering, has not had its first poll yet: it serves stale offers
	// until then, so /readyz says not ready. (Reopened with PostgreSQL
	// down, it is served at once: stale is better than nothing.)
	CatchingUp bool
	// Offers is the number of offers in the current index.
	Offers int
	// Connected reports whether the last round trip to PostgreSQL
	// succeeded and the notification listener is up.
	Connected bool
	// LastSync is when the last successful poll started: the index holds
	// every change committed before it.
	LastSync time.Time
	// Lag is how far behind the database the index may be: zero while the
	// listener is up and no notification is pending, else the age of
	// LastSync (or of the start, before any sync).
	Lag time.Duration
	// ChangesApplied counts the offers written to or removed from the
	// index by the change log since start.
	ChangesApplied int64
	// LastError is the last failure, cleared by the next success.
	LastError string
	// Rebuilding is set while a full build runs in the background.
	Rebuilding bool
	// LastRebuild is how long the last full build took, catch-up included.
	LastRebuild time.Duration
	// Cursor is where the next poll resumes.
	Cursor Cursor
	// Source is what the index is synced from (Store.SourceName).
	Source string
	// Skips counts the rows of a view source left out for breaking the
	// offer rules.
	Skips Skips
}

// syncState is what Status reads, guarded by Syncer.mu.
type syncState struct {
	started        time.Time
	ready          bool
	catchingUp     bool
	dbOK           bool
	listening      bool
	notified       uint64 // notifications received
	notifiedSynced uint64 // notifications covered by the last poll
	lastSync       time.Time
	changesApplied int64
	lastError      string
	rebuilding     bool
	lastRebuild    time.Duration
	cursor         Cursor
}

// Status returns the current state. It is safe to call at any time.
func (s *Syncer) Status() SyncStatus {
	s.mu.Lock()
	st := s.st
	s.mu.Unlock()
	out := SyncStatus{
		Ready: st.ready, CatchingUp: st.catchingUp, Connected: st.dbOK && st.listening, LastSync: st.lastSync,
		ChangesApplied: st.changesApplied, LastError: st.lastError,
		Rebuilding: st.rebuilding, LastRebuild: st.lastRebuild, Cursor: st.cursor,
		Source: s.cfg.Store.SourceName(), Skips: s.cfg.Store.Skips(),
	}
	if ix := s.cfg.Live.Current(); ix != nil {
		out.Offers = ix.Len()
	}
	if !out.Connected || st.notified != st.notifiedSynced || st.lastSync.IsZero() {
		since := st.lastSync
		if since.IsZero() {
			since = st.started
		}
		if !since.IsZero() {
			out.Lag = time.Since(since)
		}
	}
	return out
}

// pendingMark returns the notification count a poll starting now covers.
func (s *Syncer) pendingMark() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.notified
}

func (s *Syncer) synced(start time.Time, covered uint64, applied int64, l *loop) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.dbOK, s.st.lastError = true, ""
	s.st.lastSync = start
	s.st.notifiedSynced = max(s.st.notifiedSynced, covered)
	s.st.changesApplied += applied
	s.st.cursor = l.cursor
}

func (s *Syncer) failed(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.dbOK, s.st.lastError = false, err.Error()
}

// caughtUp ends the catching up of a reopened index: its first poll
// succeeded, or failed (the database is gone again: what is on disk is
// the best there is).
func (s *Syncer) caughtUp() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.catchingUp = false
}

func (s *Syncer) setListening(ok bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.listening = ok
	if err != nil {
		s.st.lastError = err.Error()
	}
}

func (s *Syncer) notified() {
	s.mu.Lock()
	s.st.notified++
	s.mu.Unlock()
	s.notify()
}

func (s *Syncer) setReady(c Cursor) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.ready = true
	s.st.cursor = c
}

// setCatchingUp marks the index just reopened as behind the database.
func (s *Syncer) setCatchingUp() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.catchingUp = true
}

func (s *Syncer) setRebuilding(on bool, took time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.rebuilding = on
	if !on && took > 0 {
		s.st.lastRebuild = took
	}
}
