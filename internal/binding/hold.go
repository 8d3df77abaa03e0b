package binding

import (
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

// MaxWALHold reads the Cluster's max-wal-hold annotation: the bound in bytes, or why the value is not one.
// The pod webhook hands the archiver plain bytes, so that both sides read one grammar (Kubernetes
// quantities), whatever the archiver's own flag accepts.
func MaxWALHold(v string) (int64, string) {
	q, err := resource.ParseQuantity(strings.TrimSpace(v))
	if err != nil {
		return 0, `must be a quantity of bytes such as "8Gi" or "500Mi" (0: no bound)`
	}
	n, ok := q.AsInt64()
	if !ok || n < 0 {
		return 0, `must be a whole, non-negative number of bytes such as "8Gi" (0: no bound)`
	}
	return n, ""
}
