package objectstore

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/objectstore-webhook/objectstore-webhook/internal/location"
	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// azureServiceDomains are the storage domains of the Azure clouds without the "blob." of their blob
// service: a host under one of them names another service of the account (dfs, file, queue).
var azureServiceDomains = func() []string {
	var out []string
	for _, s := range location.AzureBlobSuffixes() {
		out = append(out, strings.TrimPrefix(s, "blob."))
	}
	return out
}()

const (
	azureCloudForm    = "https://account.blob.core.windows.net/container/path"
	azureEmulatorForm = "http://host:port/account/container/path"
)

// azurePath checks the two structures barman parses: <account>.blob.<cloud>/<container>/<path> and, for
// any other host, the emulator form <host>:<port>/<account>/<container>/<path>, which needs a connection
// string because barman then takes the endpoint from it.
func (v *validator) azurePath(dest string, creds *v1.AzureCredentials) {
	scheme, rest, _ := strings.Cut(dest, "://")
	host, _, _ := strings.Cut(rest, "/")
	if host == "" {
		v.deny(field.Invalid(pathDest, displayURL(dest), "the host is missing; write "+azureCloudForm))
		return
	}
	hostname, port, hasPort := strings.Cut(host, ":")
	// The Azure clouds are the hosts wal-archiver opens as such (package location); barman-cloud knows
	// fewer, which azureCloudPath says.
	if suffix, ok := location.AzureBlobSuffix(hostname); ok {
		v.azureCloudPath(dest, scheme, suffix, hasPort || port != "")
		return
	}
	for _, d := range azureServiceDomains {
		if strings.HasSuffix(hostname, "."+d) {
			v.deny(field.Invalid(pathDest, displayURL(dest), "use the blob endpoint, "+azureCloudForm))
			return
		}
	}
	account, container, prefix := location.Split(dest)
	switch {
	case account == "" || container == "":
		v.deny(field.Invalid(pathDest, displayURL(dest), "a host outside the Azure clouds is an emulator; write "+azureEmulatorForm))
		return
	case creds != nil && creds.ConnectionString == nil:
		v.deny(field.Invalid(pathDest, displayURL(dest), "a host outside the Azure clouds is an emulator, which needs azureCredentials.connectionString"))
		return
	case !azureAccount(account):
		v.deny(field.Invalid(pathDest, displayURL(dest), "the storage account must be 3 to 24 lowercase letters and digits"))
	case !azureContainer(container):
		v.deny(field.Invalid(pathDest, displayURL(dest), msgAzureContainer))
	}
	v.prefixPath(prefix)
}

const msgAzureContainer = "the container must be 3 to 63 lowercase letters, digits and single '-', starting and ending with a letter or digit"

// azureCloudPath checks <account>.[<zone or privatelink>.]<blob suffix>/<container>/<path>; the account is
// the host's first label, as wal-archiver reads it.
func (v *validator) azureCloudPath(dest, scheme, suffix string, hasPort bool) {
	account, container, prefix := location.Split(dest)
	switch {
	case hasPort:
		v.deny(field.Invalid(pathDest, displayURL(dest), "remove the port; barman reads a host with a port as an emulator"))
		return
	case !azureAccount(account):
		v.deny(field.Invalid(pathDest, displayURL(dest), "the storage account must be 3 to 24 lowercase letters and digits"))
	}
	switch {
	case container == "":
		v.deny(field.Invalid(pathDest, displayURL(dest), "the container is missing; write "+azureCloudForm))
		return
	case !azureContainer(container):
		v.deny(field.Invalid(pathDest, displayURL(dest), msgAzureContainer))
	}
	if scheme == "http" {
		v.warn(pathDest, "plain http sends credentials and WAL unencrypted; use https")
	}
	if !location.BarmanReadsAzureSuffix(suffix) {
		v.warn(pathDest, "barman-cloud 3.17 reads this host as an emulator's; wal-archiver serves it")
	}
	v.prefixPath(prefix)
}

// azureCredentials checks the combinations barman-cloud defines, with every error kept and at its own path:
// a connection string alone; otherwise exactly one of storage key, SAS token, inheritFromAzureAD and
// useDefaultAzureCredentials, the first two with storageAccount.
func (v *validator) azureCredentials(c *v1.AzureCredentials) {
	if c.ConnectionString != nil {
		const alone = "cannot be combined with connectionString, which carries the account and its credentials"
		if c.StorageAccount != nil {
			v.deny(field.Forbidden(pathAzureAccount, alone))
		}
		if c.StorageKey != nil {
			v.deny(field.Forbidden(pathAzureKey, alone))
		}
		if c.StorageSasToken != nil {
			v.deny(field.Forbidden(pathAzureSAS, alone))
		}
		if c.InheritFromAzureAD {
			v.deny(field.Forbidden(pathAzureAD, alone))
		}
		if c.UseDefaultAzureCredentials {
			v.deny(field.Forbidden(pathAzureDefault, alone))
		}
	} else {
		first := ""
		for _, m := range [...]struct {
			set  bool
			name string
			path *field.Path
		}{
			{c.StorageKey != nil, "storageKey", pathAzureKey},
			{c.StorageSasToken != nil, "storageSasToken", pathAzureSAS},
			{c.InheritFromAzureAD, "inheritFromAzureAD", pathAzureAD},
			{c.UseDefaultAzureCredentials, "useDefaultAzureCredentials", pathAzureDefault},
		} {
			switch {
			case !m.set:
			case first == "":
				first = m.name
			default:
				v.deny(field.Forbidden(m.path, "cannot be combined with "+first+"; use one authentication method"))
			}
		}
		if first == "" {
			v.deny(field.Required(pathAzure, "set connectionString, storageAccount with storageKey or storageSasToken, inheritFromAzureAD or useDefaultAzureCredentials"))
		}
		if (c.StorageKey != nil || c.StorageSasToken != nil) && c.StorageAccount == nil {
			v.deny(field.Required(pathAzureAccount, "set storageAccount, which storageKey and storageSasToken need"))
		}
	}
	v.optionalRef(pathAzureConnString, c.ConnectionString, "connection string")
	v.optionalRef(pathAzureAccount, c.StorageAccount, "storage account name")
	v.optionalRef(pathAzureKey, c.StorageKey, "storage account key")
	v.optionalRef(pathAzureSAS, c.StorageSasToken, "SAS token")
}
