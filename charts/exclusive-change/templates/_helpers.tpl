{{/* Names: <release>-exclusive-change-<component>, or just <release>-<component> when the release already says it. */}}
{{- define "xc.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "xc.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: exclusive-change
{{- end -}}

{{/* Selector labels of one component: (dict "root" $ "component" "evaluator") */}}
{{- define "xc.selectorLabels" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "xc.image" -}}
{{- printf "%s/%s:%s" .root.Values.image.registry .app.image.repository (.root.Values.image.tag | default .root.Chart.AppVersion) -}}
{{- end -}}

{{/* Restricted Pod Security: what every container of this chart runs with. */}}
{{- define "xc.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "xc.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* DATABASE_URL and REDIS_URL from the Secrets the values name. */}}
{{- define "xc.connectionEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "database.existingSecret is required" .Values.database.existingSecret }}
      key: {{ .Values.database.urlKey }}
{{- if .Values.redis.existingSecret }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.existingSecret }}
      key: {{ .Values.redis.urlKey }}
{{- end }}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{- end -}}

{{/* The rule limits, the same for the operator (which refuses a FeatureFlag beyond them) and the evaluator. */}}
{{- define "xc.ruleLimitsEnv" -}}
- name: RULE_MAX_COST
  value: {{ .Values.rules.maxCost | quote }}
- name: RULE_MAX_VALUES
  value: {{ .Values.rules.maxValues | quote }}
- name: RULE_MAX_DEPTH
  value: {{ .Values.rules.maxDepth | quote }}
{{- end }}


{{/* The Secret holding STREAM_TOKEN_SECRET: the user's, or the one this chart creates. */}}
{{- define "xc.streamTokenSecretName" -}}
{{- .Values.evaluator.streams.tokenSecret.existingSecret | default (printf "%s-evaluator-stream-token" (include "xc.fullname" .)) -}}
{{- end -}}

{{/* The evaluator's event streams: limits, heartbeat, URLs and the secret that signs them. */}}
{{- define "xc.streamEnv" -}}
{{- $streams := .Values.evaluator.streams -}}
{{- if gt (int $streams.maxPerReplica) (int .Values.evaluator.maxConnections) }}
{{- fail "evaluator.streams.maxPerReplica must not exceed evaluator.maxConnections: every stream holds a connection" }}
{{- end -}}
- name: STREAM_MAX_PER_REPLICA
  value: {{ $streams.maxPerReplica | int64 | quote }}
- name: STREAM_MAX_PER_KEY
  value: {{ $streams.maxPerKey | int64 | quote }}
- name: STREAM_MAX_PER_TENANT
  value: {{ $streams.maxPerTenant | int64 | quote }}
- name: STREAM_HEARTBEAT_MS
  value: {{ $streams.heartbeatMs | int64 | quote }}
- name: STREAM_TOKEN_TTL_SECONDS
  value: {{ $streams.tokenTtlSeconds | int64 | quote }}
- name: STREAM_INACTIVITY_DELAY_SECONDS
  value: {{ $streams.inactivityDelaySeconds | int64 | quote }}
{{- with $streams.baseUrl }}
- name: STREAM_BASE_URL
  value: {{ . | quote }}
{{- end }}
- name: STREAM_TOKEN_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "xc.streamTokenSecretName" . }}
      key: {{ $streams.tokenSecret.key }}
{{- end -}}
