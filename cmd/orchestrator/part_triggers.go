package main

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"go.temporal.io/sdk/worker"

	"github.com/fnchain/orchestrator/dsl"
	"github.com/fnchain/orchestrator/internal/catalog"
	"github.com/fnchain/orchestrator/triggers"
)

// The triggers part serves webhooks and reconciles schedules and consumers
// with the catalog in API processes, and runs the data-change consumers in
// workers.
func init() {
	parts = append(parts, part{name: "triggers", roles: roleAPI | roleWorker, setup: setupTriggers})
}

// reapplyEvery repairs what changed behind the reconciler's back (a
// schedule deleted in Temporal UI, a consumer terminated by hand).
const reapplyEvery = 30 * time.Second

func setupTriggers(ctx context.Context, s *stack) error {
	m, err := triggers.New(ctx, triggers.Options{
		Client:      s.client,
		DB:          s.db,
		TaskQueue:   s.cfg.Worker.TaskQueue,
		Connections: s.connections,
		Plans:       s.plan,
		Logger:      s.logger.With("component", "triggers"),
	})
	if err != nil {
		return err
	}
	s.runners = append(s.runners, m.Run)
	if s.roles&roleWorker != 0 {
		s.registrars = append(s.registrars, func(w worker.Registry) { m.Register(w) })
	}
	if s.roles&roleAPI != 0 {
		s.mux.Handle(triggers.WebhookPrefix, m.Handler())
		registerTriggerRoutes(s, m)
		s.runners = append(s.runners, func(ctx context.Context) error { return applyTriggers(ctx, s, m) })
	}
	return nil
}

// applyTriggers applies the deployed set after every catalog change and
// every reapplyEvery, never before the catalog was first read.
func applyTriggers(ctx context.Context, s *stack, m *triggers.Manager) error {
	changed := make(chan []*dsl.Workflow, 1)
	go func() {
		_ = s.catalog.Watch(ctx, time.Second, func(defs []*catalog.Definition) {
			plans := make([]*dsl.Workflow, len(defs))
			for i, d := range defs {
				plans[i] = d.Plan
			}
			select {
			case <-changed:
			default:
			}
			changed <- plans
		})
	}()
	var plans []*dsl.Workflow
	loaded := false
	tick := time.NewTicker(reapplyEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case plans = <-changed:
			loaded = true
		case <-tick.C:
		}
		if !loaded {
			continue
		}
		if err := m.Apply(ctx, plans); err != nil && ctx.Err() == nil {
			s.logger.Error("applying triggers", "error", err)
		}
	}
}

type triggerListOutput struct {
	Body struct {
		Triggers []triggers.Status `json:"triggers"`
	}
}

type scheduleListOutput struct {
	Body struct {
		Schedules []triggers.ScheduleInfo `json:"schedules"`
	}
}

type scheduleInput struct {
	ID   string `path:"id" doc:"Schedule ID (fnchain-<workflow>-schedule-<n>)"`
	Body *struct {
		Note string `json:"note,omitempty" doc:"Why, shown in Temporal UI"`
	}
}

type backfillInput struct {
	ID   string `path:"id" doc:"Schedule ID"`
	Body struct {
		Start time.Time `json:"start" doc:"Start of the range (RFC 3339)"`
		End   time.Time `json:"end" doc:"End of the range (RFC 3339)"`
	}
}

const tagTriggers = "Triggers"

func registerTriggerRoutes(s *stack, m *triggers.Manager) {
	huma.Register(s.api, huma.Operation{
		OperationID: "listTriggers", Method: http.MethodGet, Path: "/v1/triggers",
		Summary: "List triggers", Description: "Every trigger of the deployed workflows with its events, runs, failures, last event, lag and last error.",
		Tags: []string{tagTriggers},
	}, func(ctx context.Context, _ *struct{}) (*triggerListOutput, error) {
		list, err := m.Status(ctx)
		if err != nil {
			return nil, huma.Error503ServiceUnavailable("reading trigger status", err)
		}
		out := &triggerListOutput{}
		out.Body.Triggers = list
		return out, nil
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "listSchedules", Method: http.MethodGet, Path: "/v1/schedules",
		Summary: "List schedules", Description: "The Temporal Schedules of schedule triggers, with their next and latest starts.",
		Tags: []string{tagTriggers},
	}, func(ctx context.Context, _ *struct{}) (*scheduleListOutput, error) {
		list, err := triggers.ListSchedules(ctx, s.client)
		if err != nil {
			return nil, huma.Error503ServiceUnavailable("listing schedules", err)
		}
		out := &scheduleListOutput{}
		out.Body.Schedules = list
		return out, nil
	})
	scheduleOp := func(id, path, summary string, do func(ctx context.Context, in *scheduleInput) error) {
		huma.Register(s.api, huma.Operation{
			OperationID: id, Method: http.MethodPost, Path: "/v1/schedules/{id}/" + path,
			Summary: summary, Tags: []string{tagTriggers}, DefaultStatus: http.StatusNoContent, Errors: []int{404},
		}, func(ctx context.Context, in *scheduleInput) (*struct{}, error) {
			return nil, scheduleError(do(ctx, in))
		})
	}
	note := func(in *scheduleInput) string {
		if in.Body == nil {
			return ""
		}
		return in.Body.Note
	}
	scheduleOp("pauseSchedule", "pause", "Pause a schedule", func(ctx context.Context, in *scheduleInput) error {
		return triggers.PauseSchedule(ctx, s.client, in.ID, note(in))
	})
	scheduleOp("unpauseSchedule", "unpause", "Unpause a schedule", func(ctx context.Context, in *scheduleInput) error {
		return triggers.UnpauseSchedule(ctx, s.client, in.ID, note(in))
	})
	scheduleOp("triggerSchedule", "trigger", "Start a scheduled run now", func(ctx context.Context, in *scheduleInput) error {
		return triggers.TriggerSchedule(ctx, s.client, in.ID)
	})
	huma.Register(s.api, huma.Operation{
		OperationID: "backfillSchedule", Method: http.MethodPost, Path: "/v1/schedules/{id}/backfill",
		Summary: "Backfill a schedule", Description: "Starts at once the runs the schedule would have started between start and end.",
		Tags: []string{tagTriggers}, DefaultStatus: http.StatusNoContent, Errors: []int{404, 422},
	}, func(ctx context.Context, in *backfillInput) (*struct{}, error) {
		if !in.Body.End.After(in.Body.Start) {
			return nil, huma.Error422UnprocessableEntity("end must be after start", &huma.ErrorDetail{Location: "body.end", Value: in.Body.End})
		}
		return nil, scheduleError(triggers.BackfillSchedule(ctx, s.client, in.ID, in.Body.Start, in.Body.End))
	})
}

func scheduleError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, triggers.ErrScheduleNotFound):
		return huma.Error404NotFound(err.Error())
	default:
		return huma.Error503ServiceUnavailable(err.Error())
	}
}
