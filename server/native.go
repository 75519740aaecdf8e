package server

import (
	"encoding/json"
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
