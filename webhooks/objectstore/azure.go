package objectstore

import (
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// azureClouds are the storage DNS suffixes of the public and sovereign clouds, after "<account>.blob.".
var azureClouds = [...]string{"core.windows.net", "core.chinacloudapi.cn", "core.usgovcloudapi.net"}

const (
	azureCloudForm    = "https://account.blob.core.windows.net/container/path"
	azureEmulatorForm = "http://host:port/account/container/path"
)

// azurePath checks the two structures barman parses: <account>.blob.<cloud>/<container>/<path> and, for
// any other host, the emulator form <host>:<port>/<account>/<container>/<path>, which needs a connection
// string because barman then takes the endpoint from it.
func (v *validator) azurePath(dest string, creds *v1.AzureCredentials) {
	scheme, rest, _ := strings.Cut(dest, "://")
	host, path, _ := strings.Cut(rest, "/")
	if host == "" {
		v.deny(field.Invalid(pathDest, displayURL(dest), "the host is missing; write "+azureCloudForm))
		return
	}
	hostname, port, hasPort := strings.Cut(host, ":")
	cloud := ""
	for _, c := range azureClouds {
		if strings.HasSuffix(hostname, "."+c) {
			cloud = c
			break
		}
	}
	if cloud != "" {
		v.azureCloudPath(dest, scheme, hostname, cloud, hasPort || port != "", path)
		return
	}
	account, rest2, _ := strings.Cut(path, "/")
	container, prefix, _ := strings.Cut(rest2, "/")
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

func (v *validator) azureCloudPath(dest, scheme, hostname, cloud string, hasPort bool, path string) {
	account, service, _ := strings.Cut(strings.TrimSuffix(hostname, "."+cloud), ".")
	switch {
	case hasPort:
		v.deny(field.Invalid(pathDest, displayURL(dest), "remove the port; barman reads a host with a port as an emulator"))
		return
	case service != "blob":
		v.deny(field.Invalid(pathDest, displayURL(dest), "use the blob endpoint, "+azureCloudForm))
		return
	case !azureAccount(account):
		v.deny(field.Invalid(pathDest, displayURL(dest), "the storage account must be 3 to 24 lowercase letters and digits"))
	}
	container, prefix, _ := strings.Cut(path, "/")
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
	if cloud != azureClouds[0] {
		v.warn(pathDest, "barman 3.17 reads non-blob.core.windows.net hosts as an emulator; check your barman")
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
	if c.ConnectionString != nil {
		v.secretRef(pathAzureConnString, c.ConnectionString, "connection string")
	}
	if c.StorageAccount != nil {
		v.secretRef(pathAzureAccount, c.StorageAccount, "storage account name")
	}
	if c.StorageKey != nil {
		v.secretRef(pathAzureKey, c.StorageKey, "storage account key")
	}
	if c.StorageSasToken != nil {
		v.secretRef(pathAzureSAS, c.StorageSasToken, "SAS token")
	}
}
