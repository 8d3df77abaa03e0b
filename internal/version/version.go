package version

// Set with -ldflags "-X github.com/objectstore-webhook/objectstore-webhook/internal/version.Version=…".
var (
	Version = "dev"
	Commit  = "unknown"
)

// String is the one-line version both binaries print.
func String() string { return Version + " (" + Commit + ")" }
