package workflows

import (
	"container/list"
	"sync"
)

// planCache keeps the most recently used programs by short definition hash.
// Workflow code of every run in the worker reads it, so it is locked.
type planCache struct {
	mu    sync.Mutex
	max   int
	order *list.List // of *cacheEntry, most recently used first
	items map[string]*list.Element
}

type cacheEntry struct {
	key  string
	prog *program
}

func newPlanCache(max int) *planCache {
	return &planCache{max: max, order: list.New(), items: map[string]*list.Element{}}
}

func (c *planCache) get(key string) (*program, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).prog, true
}

func (c *planCache) add(key string, p *program) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[key]; ok {
		c.order.MoveToFront(e)
		return
	}
	c.items[key] = c.order.PushFront(&cacheEntry{key: key, prog: p})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*cacheEntry).key)
	}
}

func (c *planCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
