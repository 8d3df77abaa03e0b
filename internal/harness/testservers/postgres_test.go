//go:build integration

package testservers

import "testing"

func TestPostgresPrimaryAndStandby(t *testing.T) {
	p := StartPostgres(t, PostgresOptions{})
	p.SQL(t, "CREATE TABLE t AS SELECT generate_series(1, 1000) AS x")
	if got := p.SQL(t, "SHOW wal_segment_size"); got != "1MB" {
		t.Errorf("wal_segment_size = %s, want 1MB", got)
	}
	s := StartStandby(t, p, PostgresOptions{})
	if got := s.SQL(t, "SELECT pg_is_in_recovery()"); got != "t" {
		t.Fatalf("standby not in recovery: %s", got)
	}
	s.Promote(t)
	if got := s.SQL(t, "SELECT count(*) FROM t"); got != "1000" {
		t.Errorf("promoted standby has %s rows", got)
	}
}
