package config

// Origin tells where a profile field's value came from (a file line or a
// size default), for `meshslo explain` and the README.
type Origin func(field string) string
