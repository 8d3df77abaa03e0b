package pod

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/objectstore-webhook/objectstore-webhook/webhooks/admission"
)

// appendContainer writes c as json.Marshal does, byte for byte, without reflection for the shapes the
// sidecar has: encoding it with encoding/json was a quarter of the CPU time of a review. Fields and shapes
// the sidecar does not use (lifecycle, exotic env sources, resources) go through json.Marshal on their
// own value, which writes the same bytes as it would inside the container. TestContainerJSON and
// FuzzContainerJSON hold it to json.Marshal.
func appendContainer(b []byte, c *corev1.Container) ([]byte, error) {
	var err error
	b = append(b, `{"name":`...)
	b = appendString(b, c.Name)
	if c.Image != "" {
		b = append(b, `,"image":`...)
		b = appendString(b, c.Image)
	}
	b = appendStrings(b, `,"command":`, c.Command)
	b = appendStrings(b, `,"args":`, c.Args)
	if c.WorkingDir != "" {
		b = append(b, `,"workingDir":`...)
		b = appendString(b, c.WorkingDir)
	}
	if len(c.Ports) > 0 {
		b = append(b, `,"ports":[`...)
		for i := range c.Ports {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendPort(b, &c.Ports[i])
		}
		b = append(b, ']')
	}
	if len(c.EnvFrom) > 0 {
		if b, err = appendMarshal(b, `,"envFrom":`, c.EnvFrom); err != nil {
			return nil, err
		}
	}
	if len(c.Env) > 0 {
		b = append(b, `,"env":[`...)
		for i := range c.Env {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendEnvVar(b, &c.Env[i]); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	// A struct is never empty to encoding/json: resources is always written.
	if b, err = appendResources(b, &c.Resources); err != nil {
		return nil, err
	}
	if len(c.ResizePolicy) > 0 {
		if b, err = appendMarshal(b, `,"resizePolicy":`, c.ResizePolicy); err != nil {
			return nil, err
		}
	}
	if c.RestartPolicy != nil {
		b = append(b, `,"restartPolicy":`...)
		b = appendString(b, string(*c.RestartPolicy))
	}
	if len(c.RestartPolicyRules) > 0 {
		if b, err = appendMarshal(b, `,"restartPolicyRules":`, c.RestartPolicyRules); err != nil {
			return nil, err
		}
	}
	if len(c.VolumeMounts) > 0 {
		b = append(b, `,"volumeMounts":[`...)
		for i := range c.VolumeMounts {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendMount(b, &c.VolumeMounts[i])
		}
		b = append(b, ']')
	}
	if len(c.VolumeDevices) > 0 {
		if b, err = appendMarshal(b, `,"volumeDevices":`, c.VolumeDevices); err != nil {
			return nil, err
		}
	}
	for _, p := range []struct {
		key   string
		probe *corev1.Probe
	}{{`,"livenessProbe":`, c.LivenessProbe}, {`,"readinessProbe":`, c.ReadinessProbe},
		{`,"startupProbe":`, c.StartupProbe}} {
		if p.probe != nil {
			if b, err = appendProbe(b, p.key, p.probe); err != nil {
				return nil, err
			}
		}
	}
	if c.Lifecycle != nil {
		if b, err = appendMarshal(b, `,"lifecycle":`, c.Lifecycle); err != nil {
			return nil, err
		}
	}
	if c.TerminationMessagePath != "" {
		b = append(b, `,"terminationMessagePath":`...)
		b = appendString(b, c.TerminationMessagePath)
	}
	if c.TerminationMessagePolicy != "" {
		b = append(b, `,"terminationMessagePolicy":`...)
		b = appendString(b, string(c.TerminationMessagePolicy))
	}
	if c.ImagePullPolicy != "" {
		b = append(b, `,"imagePullPolicy":`...)
		b = appendString(b, string(c.ImagePullPolicy))
	}
	if c.SecurityContext != nil {
		if b, err = appendSecurityContext(b, c.SecurityContext); err != nil {
			return nil, err
		}
	}
	b = appendFlag(b, `,"stdin":true`, c.Stdin)
	b = appendFlag(b, `,"stdinOnce":true`, c.StdinOnce)
	b = appendFlag(b, `,"tty":true`, c.TTY)
	return append(b, '}'), nil
}

// appendResources writes limits and requests by hand and resources with claims through json.Marshal.
func appendResources(b []byte, r *corev1.ResourceRequirements) ([]byte, error) {
	if len(r.Claims) > 0 {
		return appendMarshal(b, `,"resources":`, r)
	}
	// A struct is never empty to encoding/json: resources is always written.
	b = append(b, `,"resources":{`...)
	start := len(b)
	var err error
	if len(r.Limits) > 0 {
		if b, err = appendResourceList(b, `"limits":`, r.Limits); err != nil {
			return nil, err
		}
	}
	if len(r.Requests) > 0 {
		b = appendComma(b, start)
		if b, err = appendResourceList(b, `"requests":`, r.Requests); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendResourceList writes the quantities in the order of their names, as encoding/json sorts a map.
func appendResourceList(b []byte, key string, l corev1.ResourceList) ([]byte, error) {
	mark := len(b)
	b = append(b, key...)
	b = append(b, '{')
	for i, name := range slices.Sorted(maps.Keys(l)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, string(name))
		b = append(b, ':')
		q, err := l[name].MarshalJSON()
		if err != nil {
			return nil, err
		}
		if !plainQuantity(q) {
			// encoding/json would check and compact it; let it.
			return appendMarshal(b[:mark], key, l)
		}
		b = append(b, q...)
	}
	return append(b, '}'), nil
}

// plainQuantity reports whether q is a JSON string that encoding/json copies as it is.
func plainQuantity(q []byte) bool {
	if len(q) < 2 || q[0] != '"' || q[len(q)-1] != '"' {
		return false
	}
	for _, c := range q[1 : len(q)-1] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '.' || c == '-' || c == '+') {
			return false
		}
	}
	return true
}

func appendPort(b []byte, p *corev1.ContainerPort) []byte {
	b = append(b, '{')
	if p.Name != "" {
		b = append(b, `"name":`...)
		b = appendString(b, p.Name)
		b = append(b, ',')
	}
	if p.HostPort != 0 {
		b = append(b, `"hostPort":`...)
		b = strconv.AppendInt(b, int64(p.HostPort), 10)
		b = append(b, ',')
	}
	b = append(b, `"containerPort":`...)
	b = strconv.AppendInt(b, int64(p.ContainerPort), 10)
	if p.Protocol != "" {
		b = append(b, `,"protocol":`...)
		b = appendString(b, string(p.Protocol))
	}
	if p.HostIP != "" {
		b = append(b, `,"hostIP":`...)
		b = appendString(b, p.HostIP)
	}
	return append(b, '}')
}

func appendEnvVar(b []byte, e *corev1.EnvVar) ([]byte, error) {
	b = append(b, `{"name":`...)
	b = appendString(b, e.Name)
	if e.Value != "" {
		b = append(b, `,"value":`...)
		b = appendString(b, e.Value)
	}
	if from := e.ValueFrom; from != nil {
		switch {
		case *from == corev1.EnvVarSource{FieldRef: from.FieldRef} && from.FieldRef != nil:
			b = append(b, `,"valueFrom":{"fieldRef":{`...)
			if v := from.FieldRef.APIVersion; v != "" {
				b = append(b, `"apiVersion":`...)
				b = appendString(b, v)
				b = append(b, ',')
			}
			b = append(b, `"fieldPath":`...)
			b = appendString(b, from.FieldRef.FieldPath)
			b = append(b, "}}"...)
		case *from == corev1.EnvVarSource{SecretKeyRef: from.SecretKeyRef} && from.SecretKeyRef != nil &&
			from.SecretKeyRef.Optional == nil:
			b = append(b, `,"valueFrom":{"secretKeyRef":{`...)
			if n := from.SecretKeyRef.Name; n != "" {
				b = append(b, `"name":`...)
				b = appendString(b, n)
				b = append(b, ',')
			}
			b = append(b, `"key":`...)
			b = appendString(b, from.SecretKeyRef.Key)
			b = append(b, "}}"...)
		default:
			var err error
			if b, err = appendMarshal(b, `,"valueFrom":`, from); err != nil {
				return nil, err
			}
		}
	}
	return append(b, '}'), nil
}

func appendMount(b []byte, m *corev1.VolumeMount) []byte {
	b = append(b, `{"name":`...)
	b = appendString(b, m.Name)
	b = appendFlag(b, `,"readOnly":true`, m.ReadOnly)
	if m.RecursiveReadOnly != nil {
		b = append(b, `,"recursiveReadOnly":`...)
		b = appendString(b, string(*m.RecursiveReadOnly))
	}
	b = append(b, `,"mountPath":`...)
	b = appendString(b, m.MountPath)
	if m.SubPath != "" {
		b = append(b, `,"subPath":`...)
		b = appendString(b, m.SubPath)
	}
	if m.MountPropagation != nil {
		b = append(b, `,"mountPropagation":`...)
		b = appendString(b, string(*m.MountPropagation))
	}
	if m.SubPathExpr != "" {
		b = append(b, `,"subPathExpr":`...)
		b = appendString(b, m.SubPathExpr)
	}
	b = appendStrings(b, `,"bindMountOptions":`, m.BindMountOptions)
	return append(b, '}')
}

// appendProbe writes an HTTP probe by hand and any other through json.Marshal.
func appendProbe(b []byte, key string, p *corev1.Probe) ([]byte, error) {
	get := p.HTTPGet
	if get == nil || p.ProbeHandler != (corev1.ProbeHandler{HTTPGet: get}) || len(get.HTTPHeaders) > 0 ||
		get.Protocol != nil || (get.Port.Type != intstr.Int && get.Port.Type != intstr.String) {
		return appendMarshal(b, key, p)
	}
	b = append(b, key...)
	b = append(b, `{"httpGet":{`...)
	if get.Path != "" {
		b = append(b, `"path":`...)
		b = appendString(b, get.Path)
		b = append(b, ',')
	}
	b = append(b, `"port":`...)
	if get.Port.Type == intstr.Int {
		b = strconv.AppendInt(b, int64(get.Port.IntVal), 10)
	} else {
		b = appendString(b, get.Port.StrVal)
	}
	if get.Host != "" {
		b = append(b, `,"host":`...)
		b = appendString(b, get.Host)
	}
	if get.Scheme != "" {
		b = append(b, `,"scheme":`...)
		b = appendString(b, string(get.Scheme))
	}
	b = append(b, '}')
	b = appendInt(b, `,"initialDelaySeconds":`, p.InitialDelaySeconds)
	b = appendInt(b, `,"timeoutSeconds":`, p.TimeoutSeconds)
	b = appendInt(b, `,"periodSeconds":`, p.PeriodSeconds)
	b = appendInt(b, `,"successThreshold":`, p.SuccessThreshold)
	b = appendInt(b, `,"failureThreshold":`, p.FailureThreshold)
	if g := p.TerminationGracePeriodSeconds; g != nil {
		b = append(b, `,"terminationGracePeriodSeconds":`...)
		b = strconv.AppendInt(b, *g, 10)
	}
	return append(b, '}'), nil
}

// appendSecurityContext writes the fields the sidecar sets by hand and a context with any other through
// json.Marshal.
func appendSecurityContext(b []byte, sc *corev1.SecurityContext) ([]byte, error) {
	if sc.SELinuxOptions != nil || sc.WindowsOptions != nil || sc.AppArmorProfile != nil {
		return appendMarshal(b, `,"securityContext":`, sc)
	}
	b = append(b, `,"securityContext":{`...)
	start := len(b)
	if c := sc.Capabilities; c != nil {
		b = append(b, `"capabilities":{`...)
		inner := len(b)
		if len(c.Add) > 0 {
			b = appendCapabilities(b, `"add":`, c.Add)
		}
		if len(c.Drop) > 0 {
			if len(b) > inner {
				b = append(b, ',')
			}
			b = appendCapabilities(b, `"drop":`, c.Drop)
		}
		b = append(b, '}')
	}
	b = appendBoolPtr(b, start, `"privileged":`, sc.Privileged)
	b = appendInt64Ptr(b, start, `"runAsUser":`, sc.RunAsUser)
	b = appendInt64Ptr(b, start, `"runAsGroup":`, sc.RunAsGroup)
	b = appendBoolPtr(b, start, `"runAsNonRoot":`, sc.RunAsNonRoot)
	b = appendBoolPtr(b, start, `"readOnlyRootFilesystem":`, sc.ReadOnlyRootFilesystem)
	b = appendBoolPtr(b, start, `"allowPrivilegeEscalation":`, sc.AllowPrivilegeEscalation)
	if sc.ProcMount != nil {
		b = appendComma(b, start)
		b = append(b, `"procMount":`...)
		b = appendString(b, string(*sc.ProcMount))
	}
	if s := sc.SeccompProfile; s != nil {
		b = appendComma(b, start)
		b = append(b, `"seccompProfile":{"type":`...)
		b = appendString(b, string(s.Type))
		if s.LocalhostProfile != nil {
			b = append(b, `,"localhostProfile":`...)
			b = appendString(b, *s.LocalhostProfile)
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

func appendCapabilities(b []byte, key string, caps []corev1.Capability) []byte {
	b = append(b, key...)
	b = append(b, '[')
	for i, c := range caps {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, string(c))
	}
	return append(b, ']')
}

// appendComma separates a member from the previous one of an object whose members start at start.
func appendComma(b []byte, start int) []byte {
	if len(b) > start {
		return append(b, ',')
	}
	return b
}

func appendBoolPtr(b []byte, start int, key string, v *bool) []byte {
	if v == nil {
		return b
	}
	b = appendComma(b, start)
	b = append(b, key...)
	return strconv.AppendBool(b, *v)
}

func appendInt64Ptr(b []byte, start int, key string, v *int64) []byte {
	if v == nil {
		return b
	}
	b = appendComma(b, start)
	b = append(b, key...)
	return strconv.AppendInt(b, *v, 10)
}

func appendInt(b []byte, key string, v int32) []byte {
	if v == 0 {
		return b
	}
	b = append(b, key...)
	return strconv.AppendInt(b, int64(v), 10)
}

func appendFlag(b []byte, member string, v bool) []byte {
	if v {
		return append(b, member...)
	}
	return b
}

// appendStrings writes a string array member, omitted when empty.
func appendStrings(b []byte, key string, ss []string) []byte {
	if len(ss) == 0 {
		return b
	}
	b = append(b, key...)
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

func appendMarshal(b []byte, key string, v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	b = append(b, key...)
	return append(b, j...), nil
}

// appendString writes s as encoding/json does (the transport's writer, shared so both stay the same).
func appendString(b []byte, s string) []byte { return admission.AppendJSONString(b, s) }
