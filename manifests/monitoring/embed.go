package monitoring

import _ "embed"

// PrometheusRule is prometheusrule.yaml as shipped, for the tests that read its rules back.
//
//go:embed prometheusrule.yaml
var PrometheusRule []byte
