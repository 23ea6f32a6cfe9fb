// Command custom-worker is a worker that serves a user's own Go function next
// to fnchain's built-in and binding functions. A workflow step calls it with
// `call: shop.price` on the worker's task queue.
//
//	go run ./examples/custom-worker -temporal-address 127.0.0.1:7233 -task-queue fnchain
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/fnchain/orchestrator/activities"
	"github.com/fnchain/orchestrator/bindings"
)

// PriceInput is what a step passes in `with`; the struct tags become the
// function's JSON Schema, so `orchestrator validate` checks workflows against it.
type PriceInput struct {
	Amount   float64 `json:"amount" minimum:"0" doc:"net amount"`
	Country  string  `json:"country" enum:"DE,FR,US" doc:"country of delivery"`
	Discount float64 `json:"discount,omitempty" minimum:"0" maximum:"1" doc:"fraction taken off"`
}

// PriceOutput becomes the step's result.
type PriceOutput struct {
	Gross float64 `json:"gross" doc:"amount with tax, after discount"`
}

var vat = map[string]float64{"DE": 0.19, "FR": 0.20, "US": 0}

func price(_ context.Context, in PriceInput) (PriceOutput, error) {
	gross := in.Amount * (1 - in.Discount) * (1 + vat[in.Country])
	return PriceOutput{Gross: math.Round(gross*100) / 100}, nil
}

func main() {
	address := flag.String("temporal-address", client.DefaultHostPort, "Temporal frontend host:port")
	namespace := flag.String("namespace", "default", "Temporal namespace")
	taskQueue := flag.String("task-queue", "fnchain", "task queue to serve")
	flag.Parse()
	if err := run(*address, *namespace, *taskQueue); err != nil {
		log.Fatal(err)
	}
}

func run(address, namespace, taskQueue string) error {
	pool, err := bindings.Open(context.Background(), nil)
	if err != nil {
		return fmt.Errorf("opening connections: %w", err)
	}
	defer func() { _ = pool.Close() }()
	reg, err := bindings.NewRegistry(pool)
	if err != nil {
		return fmt.Errorf("building registry: %w", err)
	}
	if err := activities.Register(reg, "shop.price", "Price an order with VAT.", price); err != nil {
		return fmt.Errorf("registering shop.price: %w", err)
	}

	c, err := client.Dial(client.Options{HostPort: address, Namespace: namespace})
	if err != nil {
		return fmt.Errorf("connecting to temporal at %s: %w", address, err)
	}
	defer c.Close()
	w := worker.New(c, taskQueue, worker.Options{})
	reg.Register(w)
	return w.Run(worker.InterruptCh())
}
