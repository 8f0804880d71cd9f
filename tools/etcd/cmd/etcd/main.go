// Command etcd is etcd's server, built from its Go module so the tests' API
// server has a store of the version it expects.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
