package objectstore

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	v1 "github.com/objectstore-webhook/objectstore-webhook/schema/barmancloud/v1"
)

// planted is in every Secret value the tests use: no message may ever contain it.
const planted = "PLANTED-SECRET-0xC0FFEE"

// testNow is the clock of every test, so that certificate dates in messages are stable.
var testNow = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func testOptions() Options { return Options{Now: func() time.Time { return testNow }} }

func ref(name, key string) *v1.SecretKeySelector {
	return &v1.SecretKeySelector{LocalObjectReference: v1.LocalObjectReference{Name: name}, Key: key}
}

func store(dest string, creds v1.BarmanCredentials) *v1.ObjectStore {
	return &v1.ObjectStore{
		TypeMeta:   metav1.TypeMeta{APIVersion: "barmancloud.cnpg.io/v1", Kind: "ObjectStore"},
		ObjectMeta: metav1.ObjectMeta{Name: "store", Namespace: "db"},
		Spec: v1.ObjectStoreSpec{
			Configuration: v1.BarmanObjectStoreConfiguration{DestinationPath: dest, BarmanCredentials: creds},
		},
	}
}

func s3Keys() *v1.ObjectStore {
	return store("s3://backups/db", v1.BarmanCredentials{AWS: &v1.S3Credentials{
		AccessKeyIDReference:     ref("aws-creds", "ACCESS_KEY_ID"),
		SecretAccessKeyReference: ref("aws-creds", "ACCESS_SECRET_KEY"),
	}})
}

func s3IAM() *v1.ObjectStore {
	return store("s3://backups/db", v1.BarmanCredentials{AWS: &v1.S3Credentials{InheritFromIAMRole: true}})
}

func minio() *v1.ObjectStore {
	o := s3Keys()
	o.Spec.Configuration.EndpointURL = "https://minio.example.com:9000"
	o.Spec.Configuration.EndpointCA = ref("minio-ca", "ca.crt")
	return o
}

func azureKey() *v1.ObjectStore {
	return store("https://acct01.blob.core.windows.net/backups/db", v1.BarmanCredentials{Azure: &v1.AzureCredentials{
		StorageAccount: ref("azure-creds", "AZURE_STORAGE_ACCOUNT"),
		StorageKey:     ref("azure-creds", "AZURE_STORAGE_KEY"),
	}})
}

func azureConn() *v1.ObjectStore {
	return store("https://acct01.blob.core.windows.net/backups/db", v1.BarmanCredentials{Azure: &v1.AzureCredentials{
		ConnectionString: ref("azure-creds", "AZURE_CONNECTION_STRING"),
	}})
}

func azureAD() *v1.ObjectStore {
	return store("https://acct01.blob.core.windows.net/backups/db", v1.BarmanCredentials{Azure: &v1.AzureCredentials{
		InheritFromAzureAD: true,
	}})
}

func azurite() *v1.ObjectStore {
	o := azureConn()
	o.Spec.Configuration.DestinationPath = "http://azurite:10000/devstoreaccount1/backups"
	return o
}

func gcsGKE() *v1.ObjectStore {
	return store("gs://pg-backups/db", v1.BarmanCredentials{Google: &v1.GoogleCredentials{GKEEnvironment: true}})
}

func gcsJSON() *v1.ObjectStore {
	return store("gs://pg-backups/db", v1.BarmanCredentials{Google: &v1.GoogleCredentials{
		ApplicationCredentials: ref("gcs-creds", "gcsCredentials"),
	}})
}

// with returns a fresh base store changed by f.
func with(base func() *v1.ObjectStore, f func(o *v1.ObjectStore)) *v1.ObjectStore {
	o := base()
	f(o)
	return o
}

func pemCert(notBefore, notAfter time.Time) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: notBefore, NotAfter: notAfter, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func secret(name string, data map[string]string) *corev1.Secret {
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "db"}, Data: map[string][]byte{}}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

// testSecrets is the namespace "db" as the tests see it.
var testSecrets = sync.OnceValue(func() *SecretSet {
	day := 24 * time.Hour
	valid := pemCert(testNow.Add(-365*day), testNow.Add(5*365*day))
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte(planted)})
	stringData := secret("string-creds", nil)
	stringData.StringData = map[string]string{"ACCESS_KEY_ID": planted, "ACCESS_SECRET_KEY": planted}
	return NewSecretSet("db",
		secret("aws-creds", map[string]string{"ACCESS_KEY_ID": planted, "ACCESS_SECRET_KEY": planted, "REGION": planted, "EMPTY": ""}),
		secret("azure-creds", map[string]string{
			"AZURE_CONNECTION_STRING": "DefaultEndpointsProtocol=https;AccountName=acct01;AccountKey=" + planted,
			"AZURE_STORAGE_ACCOUNT":   "acct01", "AZURE_STORAGE_KEY": planted, "AZURE_STORAGE_SAS_TOKEN": planted,
		}),
		secret("gcs-creds", map[string]string{
			"gcsCredentials": `{"type":"service_account","private_key":"` + planted + `"}`,
			"notJSON":        planted + "{",
			"noType":         `{"private_key":"` + planted + `"}`,
		}),
		stringData,
		secret("minio-ca", map[string]string{"ca.crt": string(valid)}),
		secret("bad-ca", map[string]string{
			"none":    planted,
			"expired": string(pemCert(testNow.Add(-2*365*day), testNow.Add(-10*day))),
			"soon":    string(pemCert(testNow.Add(-365*day), testNow.Add(10*day))),
			"future":  string(pemCert(testNow.Add(10*day), testNow.Add(365*day))),
			"garbled": string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte(planted)})),
			"withKey": string(valid) + string(keyPEM),
		}),
	)
})

// forbidden is the SecretGetter of a webhook whose RBAC does not let it read Secrets.
type forbidden struct{}

func (forbidden) Get(context.Context, string, string) (*corev1.Secret, error) {
	return nil, apierrors.NewForbidden(schema.GroupResource{Resource: "secrets"}, "x", nil)
}
