package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// native serves Gatehouse's own endpoints under /_gatehouse/.
func (s *Server) native(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_gatehouse/v1/") {
		s.serveV1(w, r)
		return
	}
	switch r.URL.Path {
	case "/_gatehouse/health":
		writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "snapshot_seq": s.iam.Snapshot().Seq()})
	case "/_gatehouse/metrics":
		s.metrics(w, r)
	case "/_gatehouse/reset":
		if s.reset == nil {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodPost {
			writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": "use POST"})
			return
		}
		if err := s.reset(r.Context()); err != nil {
			s.log.Error("reset failed", "error", err)
			writeJSON(w, http.StatusInternalServerError, map[string]any{"error": "reset failed"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"status": "reset"})
	default:
		http.NotFound(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// metrics serves the node's replication gauges in the Prometheus text
// format: the change-feed position of its authorization snapshot, the
// store's, and the difference (changes committed but not yet applied here).
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	snap := s.iam.Snapshot()
	seq := snap.Seq()
	storeSeq, err := snap.StoreSeq(r.Context())
	if err != nil {
		s.log.Warn("metrics: store unavailable", "error", err)
		http.Error(w, "store unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	for _, g := range []struct {
		name, help string
		v          int64
	}{
		{"gatehouse_snapshot_seq", "Change-feed position of this node's authorization snapshot.", seq},
		{"gatehouse_store_seq", "Last change-feed position committed to the store.", storeSeq},
		{"gatehouse_snapshot_lag", "Changes committed to the store and not yet applied to this node's snapshot.", max(0, storeSeq-seq)},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", g.name, g.help, g.name, g.name, g.v)
	}
}
