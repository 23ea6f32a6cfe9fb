// Package pools sizes the worker's activity slots per task queue from the
// queue's backlog as Temporal reports it, and publishes the size a cluster
// should run for Kubernetes HPA and KEDA.
package pools

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
)

// Options configure a Manager.
type Options struct {
	Client    client.Client
	Namespace string
	Logger    *slog.Logger
	// Meter receives the pool metrics; nil records none.
	Meter metric.Meter
	// Local is set in processes that run workers: their pools resize real
	// slots. Elsewhere pools only compute the size to recommend.
	Local bool
}

// Manager runs one controller per pool.
type Manager struct {
	opts    Options
	pools   map[string]*Pool
	resizes metric.Int64Counter
	causes  metric.Int64Histogram
}

// New builds the pools of settings; defaultQueue gets one when settings
// name no queue.
func New(settings Settings, defaultQueue string, opts Options) (*Manager, error) {
	cfgs, err := settings.resolve(defaultQueue)
	if err != nil {
		return nil, err
	}
	m := &Manager{opts: opts, pools: map[string]*Pool{}}
	for q, c := range cfgs {
		m.pools[q] = newPool(q, c, opts.Local)
	}
	if opts.Meter != nil {
		if err := m.instrument(opts.Meter); err != nil {
			return nil, fmt.Errorf("creating pool metrics: %w", err)
		}
	}
	return m, nil
}

// Queues lists the pools' task queues, sorted.
func (m *Manager) Queues() []string {
	out := make([]string, 0, len(m.pools))
	for q := range m.pools {
		out = append(out, q)
	}
	sort.Strings(out)
	return out
}

// Pool returns the pool of queue.
func (m *Manager) Pool(queue string) (*Pool, bool) {
	p, ok := m.pools[queue]
	return p, ok
}

// Status reports every pool, by queue.
func (m *Manager) Status() []Status {
	out := make([]Status, 0, len(m.pools))
	for _, q := range m.Queues() {
		out = append(out, m.pools[q].Status())
	}
	return out
}

// WorkerOptions returns base with the pool's resizable activity slots and
// pollers that Temporal scales up to the pool's maximum.
func (m *Manager) WorkerOptions(queue string, base worker.Options) (worker.Options, error) {
	p, ok := m.pools[queue]
	if !ok || p.slots == nil {
		return base, fmt.Errorf("no local pool for task queue %s", queue)
	}
	fixed := func(n int) worker.SlotSupplier {
		s, _ := worker.NewFixedSizeSlotSupplier(n) // errors only for n <= 0
		return s
	}
	tuner, err := worker.NewCompositeTuner(worker.CompositeTunerOptions{
		WorkflowSlotSupplier:        fixed(1000),
		ActivitySlotSupplier:        p.slots,
		LocalActivitySlotSupplier:   fixed(1000),
		NexusSlotSupplier:           fixed(1000),
		SessionActivitySlotSupplier: fixed(1000),
	})
	if err != nil {
		return base, fmt.Errorf("building the worker tuner of %s: %w", queue, err)
	}
	base.Tuner = tuner
	base.ActivityTaskPollerBehavior = worker.NewPollerBehaviorAutoscaling(worker.PollerBehaviorAutoscalingOptions{
		InitialNumberOfPollers: min(p.cfg.Max, 2),
		MinimumNumberOfPollers: 1,
		MaximumNumberOfPollers: max(1, min(p.cfg.Max, 32)),
	})
	return base, nil
}

// Run reads each queue's backlog every Interval and resizes its pool until
// ctx ends. A failed read is logged and skipped.
func (m *Manager) Run(ctx context.Context) error {
	done := make(chan struct{})
	for _, p := range m.pools {
		go func() {
			defer func() { done <- struct{}{} }()
			m.control(ctx, p)
		}()
	}
	for range m.pools {
		<-done
	}
	return nil
}

func (m *Manager) control(ctx context.Context, p *Pool) {
	t := time.NewTicker(p.cfg.Interval)
	defer t.Stop()
	for {
		if s, err := m.read(ctx, p.queue); err != nil {
			if ctx.Err() == nil {
				m.opts.Logger.Warn("reading the task queue backlog", "taskQueue", p.queue, "error", err)
			}
		} else if d, resized := p.observe(time.Now(), s); resized {
			m.record(ctx, p.queue, d)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// read asks Temporal for the activity backlog of queue.
func (m *Manager) read(ctx context.Context, queue string) (Stats, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	resp, err := m.opts.Client.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
		Namespace:     m.opts.Namespace,
		TaskQueue:     &taskqueuepb.TaskQueue{Name: queue, Kind: enumspb.TASK_QUEUE_KIND_NORMAL},
		TaskQueueType: enumspb.TASK_QUEUE_TYPE_ACTIVITY,
		ReportStats:   true,
	})
	if err != nil {
		return Stats{}, fmt.Errorf("describing task queue %s: %w", queue, err)
	}
	st := resp.GetStats()
	return Stats{
		Backlog:      st.GetApproximateBacklogCount(),
		BacklogAge:   st.GetApproximateBacklogAge().AsDuration(),
		AddRate:      float64(st.GetTasksAddRate()),
		DispatchRate: float64(st.GetTasksDispatchRate()),
	}, nil
}

func (m *Manager) record(ctx context.Context, queue string, d Decision) {
	direction := "up"
	if d.To < d.From {
		direction = "down"
	}
	m.opts.Logger.Info("resized worker pool", "taskQueue", queue, "from", d.From, "to", d.To, "reason", d.Reason,
		"backlog", d.Backlog, "backlogAge", d.BacklogAge, "busy", d.Busy, "addRate", d.AddRate, "dispatchRate", d.DispatchRate)
	if m.resizes == nil {
		return
	}
	attrs := metric.WithAttributes(attribute.String("queue", queue), attribute.String("direction", direction))
	m.resizes.Add(ctx, 1, attrs)
	m.causes.Record(ctx, d.Backlog, attrs)
}

func (m *Manager) instrument(meter metric.Meter) error {
	var err error
	if m.resizes, err = meter.Int64Counter("fnchain.pool.resizes", metric.WithDescription("Pool resizes, by queue and direction.")); err != nil {
		return err
	}
	if m.causes, err = meter.Int64Histogram("fnchain.pool.resize.backlog", metric.WithDescription("Backlog that caused each resize.")); err != nil {
		return err
	}
	gauges := map[string]func(Status) int64{
		"fnchain.pool.size":             func(s Status) int64 { return int64(s.Size) },
		"fnchain.pool.busy":             func(s Status) int64 { return int64(s.Busy) },
		"fnchain.pool.backlog":          func(s Status) int64 { return s.Stats.Backlog },
		"fnchain.pool.desired_replicas": func(s Status) int64 { return int64(s.DesiredReplicas) },
	}
	for name, value := range gauges {
		if _, err := meter.Int64ObservableGauge(name, metric.WithInt64Callback(func(_ context.Context, o metric.Int64Observer) error {
			for _, s := range m.Status() {
				o.Observe(value(s), metric.WithAttributes(attribute.String("queue", s.Queue)))
			}
			return nil
		})); err != nil {
			return err
		}
	}
	_, err = meter.Float64ObservableGauge("fnchain.pool.backlog_age", metric.WithUnit("s"), metric.WithFloat64Callback(func(_ context.Context, o metric.Float64Observer) error {
		for _, s := range m.Status() {
			o.Observe(s.Stats.BacklogAge.Seconds(), metric.WithAttributes(attribute.String("queue", s.Queue)))
		}
		return nil
	}))
	return err
}
