package ruletests

// The bounds on the generated tests' cost, for the external tests.
const (
	MaxEvaluations = maxEvaluations
	MaxSamples     = maxSamples
)
