// Command etcd is etcd v3.6.16's server, built from the module proxy for
// envtest; see go.mod.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
