//go:build !race

package ipfilter

const raceEnabled = false
