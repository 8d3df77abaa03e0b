{{/*
Names are fixed, not derived from the release: the webhook configurations, the RBAC resourceNames and the
certificate's DNS names refer to them, and one webhook per cluster is all that can work.
*/}}
{{- define "ow.name" -}}objectstore-webhook{{- end -}}

{{- define "ow.labels" -}}
app.kubernetes.io/name: objectstore-webhook
{{- end -}}

{{- define "ow.selectorLabels" -}}
app.kubernetes.io/name: objectstore-webhook
app.kubernetes.io/component: webhook
{{- end -}}

{{- define "ow.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}
{{- end -}}

{{/* The namespaces the webhooks never apply to: the cluster's system components and the webhook's own. */}}
{{- define "ow.namespaceSelector" -}}
matchExpressions:
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values: [kube-system, {{ .Release.Namespace }}]
{{- end -}}

{{- define "ow.clientConfig" -}}
clientConfig:
  service:
    name: objectstore-webhook
    namespace: {{ .ctx.Release.Namespace }}
    path: {{ .path }}
    port: 443
{{- end -}}

{{- define "ow.webhookMeta" -}}
labels:
  {{- include "ow.labels" . | nindent 2 }}
  {{- if eq .Values.certs.mode "self-managed" }}
  objectstore-webhook.io/inject-ca: "true"
  {{- end }}
{{- if eq .Values.certs.mode "cert-manager" }}
annotations:
  cert-manager.io/inject-ca-from: {{ .Release.Namespace }}/objectstore-webhook-serving
{{- end }}
{{- end -}}
