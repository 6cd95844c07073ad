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
{{- with .Values.database.tls }}
{{- if .sslMode }}
- name: DATABASE_SSLMODE
  value: {{ .sslMode | quote }}
{{- end }}
{{- if .caSecret }}
- name: DATABASE_CA_FILE
  value: /etc/exclusive-change/database-ca/{{ .caKey }}
{{- end }}
{{- end }}
{{- $sentinel := .Values.redis.sentinel }}
{{- if and .Values.redis.existingSecret $sentinel.hosts }}
{{- fail "set redis.existingSecret (a URL) or redis.sentinel.hosts, not both" }}
{{- end }}
{{- if .Values.redis.existingSecret }}
- name: REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .Values.redis.existingSecret }}
      key: {{ .Values.redis.urlKey }}
{{- end }}
{{- if $sentinel.hosts }}
- name: REDIS_SENTINELS
  value: {{ join "," $sentinel.hosts | quote }}
- name: REDIS_SENTINEL_MASTER
  value: {{ required "redis.sentinel.masterName is required with redis.sentinel.hosts" $sentinel.masterName | quote }}
{{- range $variable, $key := dict "REDIS_PASSWORD" $sentinel.passwordKey "REDIS_SENTINEL_PASSWORD" $sentinel.sentinelPasswordKey }}
{{- if $key }}
- name: {{ $variable }}
  valueFrom:
    secretKeyRef:
      name: {{ required "redis.sentinel.existingSecret is required with its password keys" $sentinel.existingSecret }}
      key: {{ $key }}
{{- end }}
{{- end }}
{{- end }}
{{- if .Values.redis.tls.caSecret }}
- name: REDIS_CA_FILE
  value: /etc/exclusive-change/redis-ca/{{ .Values.redis.tls.caKey }}
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

{{/* The data stores' CA Secrets, read-only where DATABASE_CA_FILE and REDIS_CA_FILE point. */}}
{{- define "xc.dataStoreVolumeMounts" -}}
{{- if .Values.database.tls.caSecret }}
- name: database-ca
  mountPath: /etc/exclusive-change/database-ca
  readOnly: true
{{- end }}
{{- if .Values.redis.tls.caSecret }}
- name: redis-ca
  mountPath: /etc/exclusive-change/redis-ca
  readOnly: true
{{- end }}
{{- end -}}

{{- define "xc.dataStoreVolumes" -}}
{{- if .Values.database.tls.caSecret }}
- name: database-ca
  secret:
    secretName: {{ .Values.database.tls.caSecret }}
    items: [{ key: {{ .Values.database.tls.caKey | quote }}, path: {{ .Values.database.tls.caKey | quote }} }]
{{- end }}
{{- if .Values.redis.tls.caSecret }}
- name: redis-ca
  secret:
    secretName: {{ .Values.redis.tls.caSecret }}
    items: [{ key: {{ .Values.redis.tls.caKey | quote }}, path: {{ .Values.redis.tls.caKey | quote }} }]
{{- end }}
{{- end -}}
