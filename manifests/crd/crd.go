package crd

import _ "embed"

// ObjectStores is barmancloud.cnpg.io_objectstores.yaml as `make generate` wrote it from
// schema/barmancloud/v1: the fields the webhook validates and reads.
//
//go:embed barmancloud.cnpg.io_objectstores.yaml
var ObjectStores []byte
