package admission

import (
	"math"

	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// The spec of an ObjectStore, field for field, for fastObjectStore.

func (d *envelope) spec(start, depth int, s *v1.ObjectStoreSpec) int {
	if d.isNull(start) {
		return d.null(start)
	}
	return d.object(start, depth, func(key []byte, start, depth int, seen *uint32) int {
		switch string(key) {
		case "configuration":
			return d.field(seen, 0, d.configuration(start, depth, &s.Configuration))
		case "retentionPolicy":
			return d.field(seen, 1, d.text(start, &s.RetentionPolicy))
		case "instanceSidecarConfiguration":
			return d.field(seen, 2, d.sidecar(start, depth, &s.InstanceSidecarConfiguration))
		}
		return d.fail()
	})
}

func (d *envelope) sidecar(start, depth int, c *v1.InstanceSidecarConfiguration) int {
	if d.isNull(start) {
		return d.null(start)
	}
	return d.object(start, depth, func(key []byte, start, depth int, seen *uint32) int {
		switch string(key) {
		case "env":
			return d.field(seen, 0, d.plain(start, depth, &c.Env))
		case "retentionPolicyIntervalSeconds":
			return d.field(seen, 1, d.integer(start, math.MinInt, math.MaxInt, func(n int64) {
				c.RetentionPolicyIntervalSeconds = int(n)
			}))
		case "resources":
			return d.field(seen, 2, d.plain(start, depth, &c.Resources))
		case "additionalContainerArgs":
			return d.field(seen, 3, d.texts(start, depth, &c.AdditionalContainerArgs))
		case "logLevel":
			return d.field(seen, 4, d.text(start, &c.LogLevel))
		}
		return d.fail()
	})
}

func (d *envelope) configuration(start, depth int, c *v1.BarmanObjectStoreConfiguration) int {
	if d.isNull(start) {
		return d.null(start)
	}
	return d.object(start, depth, func(key []byte, start, depth int, seen *uint32) int {
		switch string(key) {
		case "googleCredentials":
			return d.field(seen, 0, d.google(start, depth, &c.Google))
		case "s3Credentials":
			return d.field(seen, 1, d.s3(start, depth, &c.AWS))
		case "azureCredentials":
			return d.field(seen, 2, d.azure(start, depth, &c.Azure))
		case "endpointURL":
			return d.field(seen, 3, d.text(start, &c.EndpointURL))
		case "endpointCA":
			return d.field(seen, 4, d.secretKey(start, depth, &c.EndpointCA))
		case "destinationPath":
			return d.field(seen, 5, d.text(start, &c.DestinationPath))
		case "serverName":
			return d.field(seen, 6, d.text(start, &c.ServerName))
		case "wal":
			return d.field(seen, 7, d.wal(start, depth, &c.Wal))
		case "data":
			return d.field(seen, 8, d.data(start, depth, &c.Data))
		case "tags":
			return d.field(seen, 9, d.textMap(start, depth, &c.Tags))
		case "historyTags":
			return d.field(seen, 10, d.textMap(start, depth, &c.HistoryTags))
		}
		return d.fail()
	})
}

func (d *envelope) secretKey(start, depth int, into **v1.SecretKeySelector) int {
	if d.isNull(start) {
		return d.null(start)
	}
	r := &v1.SecretKeySelector{}
	*into = r
	return d.object(start, depth, func(key []byte, start, depth int, seen *uint32) int {
		switch string(key) {
		case "name":
			return d.field(seen, 0, d.text(start, &r.Name))
		case "key":
			return d.field(seen, 1, d.text(start, &r.Key))
		}
		return d.fail()
	})
}

func (d *envelope) google(start, depth int, into **v1.GoogleCredentials) int {
	if d.isNull(start) {
		return d.null(start)
	}
	g := &v1.GoogleCredentials{}
	*into = g
	return d.object(start, depth, func(key []byte, start, depth int, seen *uint32) int {
		switch string(key) {
		case "applicationCredentials":
			return d.field(seen, 0, d.secretKey(start, depth, &g.ApplicationCredentials))
		case "gkeEnvironment":
			return d.field(seen, 1, d.boolean(start, &g.GKEEnvironment))
		}
		return d.fail()
	})
}

func (d *envelope) s3(start, depth int, into **v1.S3Credentials) int {
	if d.isNull(start) {
		return d.null(start)
	}
	a := &v1.S3Credentials{}
	*into = a
	return d.object(start, depth, func(key []byte, start, depth int, seen *uint32) int {
		switch string(key) {
		case "accessKeyId":
			return d.field(seen, 0, d.secretKey(start, depth, &a.AccessKeyIDReference))
		case "secretAccessKey":
			return d.field(seen, 1, d.secretKey(start, depth, &a.SecretAccessKeyReference))
		case "region":
			return d.field(seen, 2, d.secretKey(start, depth, &a.RegionReference))
		case "sessionToken":
			return d.field(seen, 3, d.secretKey(start, depth, &a.SessionToken))
		case "inheritFromIAMRole":
			return d.field(seen, 4, d.boolean(start, &a.InheritFromIAMRole))
		}
		return d.fail()
	})
}

func (d *envelope) azure(start, depth int, into **v1.AzureCredentials) int {
	if d.isNull(start) {
		return d.null(start)
	}
	a := &v1.AzureCredentials{}
	*into = a
	return d.object(start, depth, func(key []byte, start, depth int, seen *uint32) int {
		switch string(key) {
		case "connectionString":
			return d.field(seen, 0, d.secretKey(start, depth, &a.ConnectionString))
		case "storageAccount":
			return d.field(seen, 1, d.secretKey(start, depth, &a.StorageAccount))
		case "storageKey":
			return d.field(seen, 2, d.secretKey(start, depth, &a.StorageKey))
		case "storageSasToken":
			return d.field(seen, 3, d.secretKey(start, depth, &a.StorageSasToken))
		case "inheritFromAzureAD":
			return d.field(seen, 4, d.boolean(start, &a.InheritFromAzureAD))
		case "useDefaultAzureCredentials":
			return d.field(seen, 5, d.boolean(start, &a.UseDefaultAzureCredentials))
		}
		return d.fail()
	})
}

func (d *envelope) wal(start, depth int, into **v1.WalBackupConfiguration) int {
	if d.isNull(start) {
		return d.null(start)
	}
	w := &v1.WalBackupConfiguration{}
	*into = w
	return d.object(start, depth, func(key []byte, start, depth int, seen *uint32) int {
		switch string(key) {
		case "compression":
			return d.field(seen, 0, d.text(start, (*string)(&w.Compression)))
		case "encryption":
			return d.field(seen, 1, d.text(start, (*string)(&w.Encryption)))
		case "maxParallel":
			return d.field(seen, 2, d.integer(start, math.MinInt, math.MaxInt, func(n int64) {
				m := int(n)
				w.MaxParallel = &m // a 0 stays told from an absent field: the rule minimums refuses it
			}))
		case "archiveAdditionalCommandArgs":
			return d.field(seen, 3, d.texts(start, depth, &w.ArchiveAdditionalCommandArgs))
		case "restoreAdditionalCommandArgs":
			return d.field(seen, 4, d.texts(start, depth, &w.RestoreAdditionalCommandArgs))
		}
		return d.fail()
	})
}

func (d *envelope) data(start, depth int, into **v1.DataBackupConfiguration) int {
	if d.isNull(start) {
		return d.null(start)
	}
	b := &v1.DataBackupConfiguration{}
	*into = b
	return d.object(start, depth, func(key []byte, start, depth int, seen *uint32) int {
		switch string(key) {
		case "compression":
			return d.field(seen, 0, d.text(start, (*string)(&b.Compression)))
		case "encryption":
			return d.field(seen, 1, d.text(start, (*string)(&b.Encryption)))
		case "jobs":
			return d.field(seen, 2, d.integer(start, math.MinInt32, math.MaxInt32, func(n int64) {
				j := int32(n)
				b.Jobs = &j
			}))
		case "immediateCheckpoint":
			return d.field(seen, 3, d.boolean(start, &b.ImmediateCheckpoint))
		case "additionalCommandArgs":
			return d.field(seen, 4, d.texts(start, depth, &b.AdditionalCommandArgs))
		case "restoreAdditionalCommandArgs":
			return d.field(seen, 5, d.texts(start, depth, &b.RestoreAdditionalCommandArgs))
		}
		return d.fail()
	})
}
