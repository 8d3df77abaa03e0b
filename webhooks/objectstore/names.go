package objectstore

import "strings"

// The naming rules of the providers, written as loops rather than regular expressions: they run on every
// review and a loop over a short string costs nothing and allocates nothing.

func isLowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isUpper(c byte) bool      { return c >= 'A' && c <= 'Z' }

// s3Bucket checks an S3 bucket name. It returns "" when the name is fine, else the right form in a phrase;
// tolerated says the problem is one that some S3-compatible stores accept (uppercase, '_', length).
// compatible (an endpointURL is set) lifts AWS's own reservations and tolerates those problems.
func s3Bucket(name string, compatible bool) (problem string, tolerated bool) {
	loose := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case isLowerAlnum(c) || c == '.' || c == '-':
		case isUpper(c) || c == '_':
			loose = true
		default:
			return "use only lowercase letters, digits, '.' and '-'", false
		}
	}
	first, last := name[0], name[len(name)-1]
	if !(isLowerAlnum(first) || isUpper(first)) || !(isLowerAlnum(last) || isUpper(last)) {
		return "start and end it with a lowercase letter or digit", false
	}
	if strings.Contains(name, "..") {
		return "do not put two dots next to each other", false
	}
	if isIPv4(name) {
		return "do not write it as an IP address", false
	}
	if len(name) < 3 || len(name) > 63 {
		return "use 3 to 63 characters", true
	}
	if loose {
		return "use lowercase letters, not uppercase or '_'", true
	}
	if compatible {
		return "", false
	}
	for _, p := range [...]string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return "do not start it with " + p + ", which AWS reserves", false
		}
	}
	for _, s := range [...]string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return "do not end it with " + s + ", which AWS reserves", false
		}
	}
	return "", false
}

// gcsBucket checks a Google Cloud Storage bucket name; "" when fine, else the right form in a phrase.
func gcsBucket(name string) string {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(isLowerAlnum(c) || c == '.' || c == '-' || c == '_') {
			return "use only lowercase letters, digits, '-', '_' and '.'"
		}
	}
	if !isLowerAlnum(name[0]) || !isLowerAlnum(name[len(name)-1]) {
		return "start and end it with a lowercase letter or digit"
	}
	if strings.IndexByte(name, '.') >= 0 {
		if len(name) > 222 {
			return "use at most 222 characters"
		}
		for part := range strings.SplitSeq(name, ".") {
			if len(part) == 0 || len(part) > 63 {
				return "use dot-separated parts of 1 to 63 characters"
			}
		}
		if isIPv4(name) {
			return "do not write it as an IP address"
		}
	}
	if len(name) < 3 || len(name) > 63 {
		return "use 3 to 63 characters (up to 222 with dots)"
	}
	if strings.HasPrefix(name, "goog") || strings.Contains(name, "google") {
		return "do not start it with goog or put google in it, which Google reserves"
	}
	return ""
}

// azureAccount checks a storage account name: 3 to 24 lowercase letters and digits.
func azureAccount(name string) bool {
	if len(name) < 3 || len(name) > 24 {
		return false
	}
	for i := 0; i < len(name); i++ {
		if !isLowerAlnum(name[i]) {
			return false
		}
	}
	return true
}

// azureContainer checks a container name: 3 to 63 lowercase letters, digits and '-', starting and ending
// with a letter or digit, every '-' between two letters or digits.
func azureContainer(name string) bool {
	if len(name) < 3 || len(name) > 63 || !isLowerAlnum(name[0]) || !isLowerAlnum(name[len(name)-1]) {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c == '-' {
			if name[i-1] == '-' {
				return false
			}
			continue
		}
		if !isLowerAlnum(c) {
			return false
		}
	}
	return true
}

// isIPv4 tells whether s looks like a dotted quad.
func isIPv4(s string) bool {
	parts, n := 0, 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == '.' {
			if n == 0 || n > 3 {
				return false
			}
			parts++
			n = 0
			continue
		}
		if !isDigit(s[i]) {
			return false
		}
		n++
	}
	return parts == 4
}

// isDNSSubdomain checks a Kubernetes object name (RFC 1123 subdomain), as Secret names must be.
func isDNSSubdomain(s string) bool {
	if len(s) == 0 || len(s) > 253 {
		return false
	}
	for label := range strings.SplitSeq(s, ".") {
		if len(label) == 0 || len(label) > 63 || !isLowerAlnum(label[0]) || !isLowerAlnum(label[len(label)-1]) {
			return false
		}
		for i := 0; i < len(label); i++ {
			if !isLowerAlnum(label[i]) && label[i] != '-' {
				return false
			}
		}
	}
	return true
}

// isSecretKey checks a key of a Secret's data: letters, digits, '-', '_' and '.', at most 253 bytes.
func isSecretKey(s string) bool {
	if len(s) == 0 || len(s) > 253 || s == "." || s == ".." {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isLowerAlnum(c) || isUpper(c) || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// isRoleARN checks arn:<aws|aws-cn|aws-us-gov>:iam::<12 digits>:role/<path/><name>.
func isRoleARN(s string) bool {
	rest, ok := strings.CutPrefix(s, "arn:")
	if !ok {
		return false
	}
	partition, rest, ok := strings.Cut(rest, ":")
	if !ok || (partition != "aws" && partition != "aws-cn" && partition != "aws-us-gov") {
		return false
	}
	rest, ok = strings.CutPrefix(rest, "iam::")
	if !ok || len(rest) < 13 || rest[12] != ':' {
		return false
	}
	for i := 0; i < 12; i++ {
		if !isDigit(rest[i]) {
			return false
		}
	}
	rest, ok = strings.CutPrefix(rest[13:], "role/")
	if !ok || len(rest) > 512 {
		return false
	}
	segments := 0
	for seg := range strings.SplitSeq(rest, "/") {
		segments++
		if len(seg) == 0 || len(seg) > 64 {
			return false
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if !(isLowerAlnum(c) || isUpper(c) || strings.IndexByte("+=,.@_-", c) >= 0) {
				return false
			}
		}
	}
	return segments > 0
}

// isGCPServiceAccount checks name@project.iam.gserviceaccount.com, name and project 6 to 30 characters of
// lowercase letters, digits and '-', starting with a letter and not ending with '-'.
func isGCPServiceAccount(s string) bool {
	name, domain, ok := strings.Cut(s, "@")
	if !ok {
		return false
	}
	project, ok := strings.CutSuffix(domain, ".iam.gserviceaccount.com")
	return ok && isGCPID(name) && isGCPID(project)
}

func isGCPID(s string) bool {
	if len(s) < 6 || len(s) > 30 || s[0] < 'a' || s[0] > 'z' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLowerAlnum(s[i]) && s[i] != '-' {
			return false
		}
	}
	return true
}

// isGUID checks the 8-4-4-4-12 hexadecimal form of Azure client and tenant IDs.
func isGUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}
