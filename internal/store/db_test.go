package store

import (
	"slices"
	"testing"
)

func TestRowBatches(t *testing.T) {
	tests := []struct {
		n, max int
		want   []int
	}{
		{0, 128, nil},
		{1, 128, []int{1}},
		{128, 128, []int{128}},
		{300, 128, []int{128, 128, 32, 8, 4}},
		{127, 128, []int{64, 32, 16, 8, 4, 2, 1}},
	}
	for _, tt := range tests {
		got := rowBatches(tt.n, tt.max)
		sum := 0
		for _, n := range got {
			sum += n
		}
		if !slices.Equal(got, tt.want) || sum != tt.n {
			t.Errorf("rowBatches(%d, %d) = %v, want %v", tt.n, tt.max, got, tt.want)
		}
	}
}
