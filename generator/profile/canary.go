package profile

// Revision tags IstioCanaryRegression compares.
const (
	TagStable = "stable"
	TagCanary = "canary"
)

// CanaryPair returns the revisions tagged stable and canary, or ok false
// when the profile tags no pair.
func (i *Istiod) CanaryPair() (stable, canary string, ok bool) {
	for _, r := range i.Revisions {
		switch r.Tag {
		case TagStable:
			stable = r.Name
		case TagCanary:
			canary = r.Name
		}
	}
	return stable, canary, stable != "" && canary != ""
}

func validateCanary(v *validator, c *Canary) {
	v.checkTagged("spec.istiod.canary", c)
	for _, f := range []struct {
		field string
		x     float64
	}{{"heapPerProxyFactor", c.HeapPerProxyFactor}, {"pushLatencyFactor", c.PushLatencyFactor}, {"latencyFactor", c.LatencyFactor}} {
		if !(f.x > 1 && f.x <= 100) {
			v.add("spec.istiod.canary."+f.field, "expected a factor above 1 (the canary's value over stable's), up to 100, got %s", FormatNumber(f.x))
		}
	}
	if c.MinRequests < 0 {
		v.add("spec.istiod.canary.minRequests", "expected 0 or more requests, got %d", c.MinRequests)
	}
}
