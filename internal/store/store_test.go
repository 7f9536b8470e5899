package store_test

import (
	"testing"

	"github.com/ferrysync/ferry/internal/store"
	"github.com/ferrysync/ferry/internal/store/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines() {
		t.Run(string(e.Engine), func(t *testing.T) {
			t.Parallel()
			storetest.Exercise(t, func(t *testing.T) store.Store {
				return storetest.Open(t, e.URL(t), store.Options{})
			})
		})
	}
}
