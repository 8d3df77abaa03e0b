package main

import (
	"context"
	"os"

	"github.com/objectstore-webhook/objectstore-webhook/archiver/store"
	"github.com/objectstore-webhook/objectstore-webhook/archiver/storeconfig"
	"github.com/objectstore-webhook/objectstore-webhook/contract"
)

// getenv reads a variable, answering with the flag's value for a contract setting given as a flag.
func (s *settings) getenv(name string) string {
	for _, st := range contract.Settings() {
		if st.Env == name && s.set[st.Flag] {
			return *s.values[st.Flag]
		}
	}
	return os.Getenv(name)
}

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
