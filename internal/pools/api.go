package pools

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// ListOutput is the body of GET /v1/pools.
type ListOutput struct {
	Body struct {
		Pools []Status `json:"pools" nullable:"false"`
	}
}

// QueueInput names a pool.
type QueueInput struct {
	Queue string `path:"queue" doc:"the task queue"`
}

// StatusOutput is the body of GET /v1/pools/{queue}.
type StatusOutput struct {
	Body Status
}

// DesiredOutput is the body of GET /v1/pools/{queue}/desired, shaped for
// KEDA's metrics-api scaler (valueLocation: desiredReplicas).
type DesiredOutput struct {
	Body struct {
		Queue           string `json:"queue"`
		DesiredReplicas int    `json:"desiredReplicas"`
		DesiredSlots    int    `json:"desiredSlots" doc:"the pool size the controller chose"`
		Backlog         int64  `json:"backlog"`
	}
}

// RegisterAPI adds the pool routes to a.
func RegisterAPI(a huma.API, m *Manager) {
	huma.Register(a, huma.Operation{
		OperationID: "list-pools", Method: http.MethodGet, Path: "/v1/pools",
		Summary: "Worker pools", Description: "Each pool's size, backlog and recent resize decisions.", Tags: []string{"Pools"},
	}, func(ctx context.Context, _ *struct{}) (*ListOutput, error) {
		out := &ListOutput{}
		out.Body.Pools = m.Status()
		return out, nil
	})
	huma.Register(a, huma.Operation{
		OperationID: "get-pool", Method: http.MethodGet, Path: "/v1/pools/{queue}",
		Summary: "One worker pool", Tags: []string{"Pools"},
	}, func(ctx context.Context, in *QueueInput) (*StatusOutput, error) {
		p, err := find(m, in.Queue)
		if err != nil {
			return nil, err
		}
		return &StatusOutput{Body: p.Status()}, nil
	})
	huma.Register(a, huma.Operation{
		OperationID: "get-pool-desired", Method: http.MethodGet, Path: "/v1/pools/{queue}/desired",
		Summary:     "Desired replicas",
		Description: "The worker replicas the queue's backlog asks for: point a KEDA metrics-api trigger or an HPA external metric here.",
		Tags:        []string{"Pools"},
	}, func(ctx context.Context, in *QueueInput) (*DesiredOutput, error) {
		p, err := find(m, in.Queue)
		if err != nil {
			return nil, err
		}
		s := p.Status()
		out := &DesiredOutput{}
		out.Body.Queue, out.Body.DesiredReplicas, out.Body.DesiredSlots, out.Body.Backlog = s.Queue, s.DesiredReplicas, s.Size, s.Stats.Backlog
		return out, nil
	})
}

func find(m *Manager, queue string) (*Pool, error) {
	p, ok := m.Pool(queue)
	if !ok {
		return nil, huma.Error404NotFound("no pool for task queue "+queue, &huma.ErrorDetail{
			Location: "path.queue", Value: queue, Message: "pools exist for: " + strings.Join(m.Queues(), ", "),
		})
	}
	return p, nil
}
