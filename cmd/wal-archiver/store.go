package main

import (
	"context"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/storeconfig"
)

// openStore opens the store named by the destination path and returns it with the key prefix inside the
// bucket or container.
func openStore(ctx context.Context, s *settings, maxAttempts int) (store.Store, string, error) {
	cfg := storeconfig.SettingsFromEnv(s.getenv)
	cfg.MaxAttempts = maxAttempts
	st, loc, err := storeconfig.Open(ctx, cfg)
	if err != nil {
		return nil, "", err
	}
	return st, loc.Prefix, nil
}
