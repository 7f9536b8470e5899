package bench

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// memSampler records the peak of the Go heap and stacks in use while a
// scenario runs. It is in-process, so the emulators' memory is included.
type memSampler struct {
	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	peak uint64
	// base is what was in use when sampling started, after a collection:
	// the emulators' data and an idle ferry.
	base uint64
}

// sampleMemory collects garbage (so an earlier scenario's does not count),
// notes the baseline and starts sampling every interval.
func sampleMemory(interval time.Duration) *memSampler {
	runtime.GC()
	m := &memSampler{stop: make(chan struct{})}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.base = ms.HeapInuse + ms.StackInuse
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			m.sample()
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	}()
	return m
}

func (m *memSampler) sample() {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	v := ms.HeapInuse + ms.StackInuse
	m.mu.Lock()
	m.peak = max(m.peak, v)
	m.mu.Unlock()
}

// Stop ends sampling and returns the peak and the baseline in bytes.
func (m *memSampler) Stop() (peak, base uint64) {
	close(m.stop)
	m.wg.Wait()
	m.sample()
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.peak, m.base
}

// maxRSS is this process's peak resident set size (VmHWM) in bytes, 0
// where /proc is not available. It covers the whole process lifetime.
func maxRSS() uint64 { return vmHWM("/proc/self/status") }

// vmHWM reads VmHWM from a /proc status file, in bytes (0 if unreadable).
func vmHWM(path string) uint64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb * 1024
		}
	}
	return 0
}
