//go:build unix

package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/meshslo/meshslo/generator/internal/promserver"
)

// The Prometheus helpers are generator/internal/promserver's.
type (
	server = promserver.Server
	sample = promserver.Sample
)

func startPrometheus(t *testing.T, bin, configFile, dir string) *server {
	t.Helper()
	return promserver.Start(t, bin, configFile, dir)
}

type ruleGroups struct {
	Groups []struct {
		Name  string `json:"name"`
		File  string `json:"file"`
		Rules []struct {
			Name           string    `json:"name"`
			Type           string    `json:"type"`
			Health         string    `json:"health"`
			LastError      string    `json:"lastError"`
			LastEvaluation time.Time `json:"lastEvaluation"`
		} `json:"rules"`
	} `json:"groups"`
}

type alert struct {
	Labels map[string]string `json:"labels"`
	State  string            `json:"state"`
	Value  string            `json:"value"`
}

func alerts(ctx context.Context, s *server) ([]alert, error) {
	var data struct {
		Alerts []alert `json:"alerts"`
	}
	err := s.Get(ctx, "/api/v1/alerts", nil, &data)
	return data.Alerts, err
}
