// Package endpointca builds the TLS trust of a store client: the system roots plus the endpoint's CA bundle.
package endpointca
