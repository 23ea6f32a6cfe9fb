package tracing

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/workflow"
)

// Attributes of a step's activity span. The step id is the activity ID
// (suffixed for repeated executions, fetch[3]); the name is the step's
// `name:`, which only the workflow knows, so it travels in a header.
const (
	AttrStepID   = attribute.Key("fnchain.step.id")
	AttrStepName = attribute.Key("fnchain.step.name")
	AttrFunction = attribute.Key("fnchain.function")
	AttrAttempt  = attribute.Key("fnchain.attempt")
)

const stepNameHeader = "fnchain-step-name"

// stepAttributes names the activity spans that the Temporal tracing
// interceptor starts. It must come after that interceptor in the worker's
// list, so the span is already in the activity's context.
type stepAttributes struct {
	interceptor.WorkerInterceptorBase
}

var _ interceptor.WorkerInterceptor = (*stepAttributes)(nil)

func (*stepAttributes) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &stepActivity{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}}
}

func (*stepAttributes) InterceptWorkflow(_ workflow.Context, next interceptor.WorkflowInboundInterceptor) interceptor.WorkflowInboundInterceptor {
	return &stepWorkflow{WorkflowInboundInterceptorBase: interceptor.WorkflowInboundInterceptorBase{Next: next}}
}

type stepWorkflow struct {
	interceptor.WorkflowInboundInterceptorBase
}

func (w *stepWorkflow) Init(out interceptor.WorkflowOutboundInterceptor) error {
	return w.Next.Init(&stepOutbound{WorkflowOutboundInterceptorBase: interceptor.WorkflowOutboundInterceptorBase{Next: out}})
}

type stepOutbound struct {
	interceptor.WorkflowOutboundInterceptorBase
}

// ExecuteActivity sends the step's name, which the interpreter puts in the
// activity's summary, to the worker that runs the activity.
func (o *stepOutbound) ExecuteActivity(ctx workflow.Context, activityType string, args ...any) workflow.Future {
	if name := workflow.GetActivityOptions(ctx).Summary; name != "" {
		if p, err := converter.GetDefaultDataConverter().ToPayload(name); err == nil {
			interceptor.WorkflowHeader(ctx)[stepNameHeader] = p
		}
	}
	return o.Next.ExecuteActivity(ctx, activityType, args...)
}

type stepActivity struct {
	interceptor.ActivityInboundInterceptorBase
}

func (a *stepActivity) ExecuteActivity(ctx context.Context, in *interceptor.ExecuteActivityInput) (any, error) {
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		info := activity.GetInfo(ctx)
		attrs := []attribute.KeyValue{
			AttrStepID.String(info.ActivityID),
			AttrFunction.String(info.ActivityType.Name),
			AttrAttempt.Int(int(info.Attempt)),
		}
		var name string
		if p := interceptor.Header(ctx)[stepNameHeader]; p != nil && converter.GetDefaultDataConverter().FromPayload(p, &name) == nil {
			attrs = append(attrs, AttrStepName.String(name))
		}
		span.SetAttributes(attrs...)
	}
	return a.Next.ExecuteActivity(ctx, in)
}
