package objectstore

import (
	"math"

	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// The spec of an ObjectStore, field for field, for decodeFast.

func (d *storeDecoder) spec(start, depth int, s *v1.ObjectStoreSpec) int {
	if d.IsNull(start) {
		return d.Null(start)
	}
	return d.Object(start, depth, func(key []byte, start, depth int, seen *uint32) int {
		switch string(key) {
		case "configuration":
			return d.Field(seen, 0, d.configuration(start, depth, &s.Configuration))
		case "retentionPolicy":
			return d.Field(seen, 1, d.Text(start, &s.RetentionPolicy))
		case "instanceSidecarConfiguration":
			return d.Field(seen, 2, d.sidecar(start, depth, &s.InstanceSidecarConfiguration))
		}
		return d.Fail()
	})
}

func (d *storeDecoder) sidecar(start, depth int, c *v1.InstanceSidecarConfiguration) int {
	if d.IsNull(start) {
		return d.Null(start)
	}
	return d.Object(start, depth, func(key []byte, start, depth int, seen *uint32) int {
		switch string(key) {
		case "env":
			return d.Field(seen, 0, d.Plain(start, depth, &c.Env))
		case "retentionPolicyIntervalSeconds":
			return d.Field(seen, 1, d.Integer(start, math.MinInt, math.MaxInt, func(n int64) {
				c.RetentionPolicyIntervalSeconds = int(n)
			}))
		case "resources":
			return d.Field(seen, 2, d.Plain(start, depth, &c.Resources))
		case "additionalContainerArgs":
			return d.Field(seen, 3, d.Texts(start, depth, &c.AdditionalContainerArgs))
		case "logLevel":
			return d.Field(seen, 4, d.Text(start, &c.LogLevel))
		}
		return d.Fail()
	})
}

func (d *storeDecoder) configuration(start, depth int, c *v1.BarmanObjectStoreConfiguration) int {
	if d.IsNull(start) {
		return d.Null(start)
	}
	return d.Object(start, depth, func(key []byte, start, depth int, seen *uint32) int {
		switch string(key) {
		case "googleCredentials":
			return d.Field(seen, 0, d.google(start, depth, &c.Google))
		case "s3Credentials":
			return d.Field(seen, 1, d.s3(start, depth, &c.AWS))
		case "azureCredentials":
			return d.Field(seen, 2, d.azure(start, depth, &c.Azure))
		case "endpointURL":
			return d.Field(seen, 3, d.Text(start, &c.EndpointURL))
		case "endpointCA":
			return d.Field(seen, 4, d.secretKey(start, depth, &c.EndpointCA))
		case "destinationPath":
			return d.Field(seen, 5, d.Text(start, &c.DestinationPath))
		case "serverName":
			return d.Field(seen, 6, d.Text(start, &c.ServerName))
		case "wal":
			return d.Field(seen, 7, d.wal(start, depth, &c.Wal))
		case "data":
			return d.Field(seen, 8, d.data(start, depth, &c.Data))
		case "tags":
			return d.Field(seen, 9, d.TextMap(start, depth, &c.Tags, nil))
		case "historyTags":
			return d.Field(seen, 10, d.TextMap(start, depth, &c.HistoryTags, nil))
		}
		return d.Fail()
	})
}

func (d *storeDecoder) secretKey(start, depth int, into **v1.SecretKeySelector) int {
	if d.IsNull(start) {
		return d.Null(start)
	}
	r := &v1.SecretKeySelector{}
	*into = r
	return d.Object(start, depth, func(key []byte, start, depth int, seen *uint32) int {
		switch string(key) {
		case "name":
			return d.Field(seen, 0, d.Text(start, &r.Name))
		case "key":
			return d.Field(seen, 1, d.Text(start, &r.Key))
		}
		return d.Fail()
	})
}

func (d *storeDecoder) google(start, depth int, into **v1.GoogleCredentials) int {
	if d.IsNull(start) {
		return d.Null(start)
	}
	g := &v1.GoogleCredentials{}
	*into = g
	return d.Object(start, depth, func(key []byte, start, depth int, seen *uint32) int {
		switch string(key) {
		case "applicationCredentials":
			return d.Field(seen, 0, d.secretKey(start, depth, &g.ApplicationCredentials))
		case "gkeEnvironment":
			return d.Field(seen, 1, d.Boolean(start, &g.GKEEnvironment))
		}
		return d.Fail()
	})
}

func (d *storeDecoder) s3(start, depth int, into **v1.S3Credentials) int {
	if d.IsNull(start) {
		return d.Null(start)
	}
	a := &v1.S3Credentials{}
	*into = a
	return d.Object(start, depth, func(key []byte, start, depth int, seen *uint32) int {
		switch string(key) {
		case "accessKeyId":
			return d.Field(seen, 0, d.secretKey(start, depth, &a.AccessKeyIDReference))
		case "secretAccessKey":
			return d.Field(seen, 1, d.secretKey(start, depth, &a.SecretAccessKeyReference))
		case "region":
			return d.Field(seen, 2, d.secretKey(start, depth, &a.RegionReference))
		case "sessionToken":
			return d.Field(seen, 3, d.secretKey(start, depth, &a.SessionToken))
		case "inheritFromIAMRole":
			return d.Field(seen, 4, d.Boolean(start, &a.InheritFromIAMRole))
		}
		return d.Fail()
	})
}

func (d *storeDecoder) azure(start, depth int, into **v1.AzureCredentials) int {
	if d.IsNull(start) {
		return d.Null(start)
	}
	a := &v1.AzureCredentials{}
	*into = a
	return d.Object(start, depth, func(key []byte, start, depth int, seen *uint32) int {
		switch string(key) {
		case "connectionString":
			return d.Field(seen, 0, d.secretKey(start, depth, &a.ConnectionString))
		case "storageAccount":
			return d.Field(seen, 1, d.secretKey(start, depth, &a.StorageAccount))
		case "storageKey":
			return d.Field(seen, 2, d.secretKey(start, depth, &a.StorageKey))
		case "storageSasToken":
			return d.Field(seen, 3, d.secretKey(start, depth, &a.StorageSasToken))
		case "inheritFromAzureAD":
			return d.Field(seen, 4, d.Boolean(start, &a.InheritFromAzureAD))
		case "useDefaultAzureCredentials":
			return d.Field(seen, 5, d.Boolean(start, &a.UseDefaultAzureCredentials))
		}
		return d.Fail()
	})
}

func (d *storeDecoder) wal(start, depth int, into **v1.WalBackupConfiguration) int {
	if d.IsNull(start) {
		return d.Null(start)
	}
	w := &v1.WalBackupConfiguration{}
	*into = w
	return d.Object(start, depth, func(key []byte, start, depth int, seen *uint32) int {
		switch string(key) {
		case "compression":
			return d.Field(seen, 0, d.Text(start, (*string)(&w.Compression)))
		case "encryption":
			return d.Field(seen, 1, d.Text(start, (*string)(&w.Encryption)))
		case "maxParallel":
			return d.Field(seen, 2, d.Integer(start, math.MinInt, math.MaxInt, func(n int64) {
				m := int(n)
				w.MaxParallel = &m // a 0 stays told from an absent field: the rule minimums refuses it
			}))
		case "archiveAdditionalCommandArgs":
			return d.Field(seen, 3, d.Texts(start, depth, &w.ArchiveAdditionalCommandArgs))
		case "restoreAdditionalCommandArgs":
			return d.Field(seen, 4, d.Texts(start, depth, &w.RestoreAdditionalCommandArgs))
		}
		return d.Fail()
	})
}

func (d *storeDecoder) data(start, depth int, into **v1.DataBackupConfiguration) int {
	if d.IsNull(start) {
		return d.Null(start)
	}
	b := &v1.DataBackupConfiguration{}
	*into = b
	return d.Object(start, depth, func(key []byte, start, depth int, seen *uint32) int {
		switch string(key) {
		case "compression":
			return d.Field(seen, 0, d.Text(start, (*string)(&b.Compression)))
		case "encryption":
			return d.Field(seen, 1, d.Text(start, (*string)(&b.Encryption)))
		case "jobs":
			return d.Field(seen, 2, d.Integer(start, math.MinInt32, math.MaxInt32, func(n int64) {
				j := int32(n)
				b.Jobs = &j
			}))
		case "immediateCheckpoint":
			return d.Field(seen, 3, d.Boolean(start, &b.ImmediateCheckpoint))
		case "additionalCommandArgs":
			return d.Field(seen, 4, d.Texts(start, depth, &b.AdditionalCommandArgs))
		case "restoreAdditionalCommandArgs":
			return d.Field(seen, 5, d.Texts(start, depth, &b.RestoreAdditionalCommandArgs))
		}
		return d.Fail()
	})
}
