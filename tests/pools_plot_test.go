package tests

import (
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"time"
)

type plotSample struct {
	at      time.Duration
	size    int
	backlog int64
}

type plotSeries struct {
	name    string
	samples []plotSample
}

var (
	plotBackground = color.RGBA{255, 255, 255, 255}
	plotAxis       = color.RGBA{90, 90, 90, 255}
	plotGrid       = color.RGBA{225, 225, 225, 255}
	plotSize       = color.RGBA{31, 119, 180, 255} // pool size: blue
	plotBacklog    = color.RGBA{214, 39, 40, 255}  // backlog: red
)

// writePlot draws one panel per series, stacked, on a shared time axis:
// the pool size (blue) against the left scale 0..32 slots and the backlog
// (red) against 0..the largest backlog seen. Grid lines mark every 10 s
// and every 8 slots.
func writePlot(path string, series []plotSeries) error {
	const width, panel, margin = 1000, 220, 30
	img := image.NewRGBA(image.Rect(0, 0, width, len(series)*panel))
	fill(img, img.Bounds(), plotBackground)
	var longest time.Duration
	var maxBacklog int64 = 1
	for _, s := range series {
		for _, p := range s.samples {
			longest = max(longest, p.at)
			maxBacklog = max(maxBacklog, p.backlog)
		}
	}
	if longest == 0 {
		return fmt.Errorf("nothing to plot")
	}
	for i, s := range series {
		top := i*panel + margin/2
		h := panel - margin
		x := func(d time.Duration) int { return margin + int(float64(width-2*margin)*d.Seconds()/longest.Seconds()) }
		for sec := time.Duration(0); sec <= longest; sec += 10 * time.Second {
			line(img, x(sec), top, x(sec), top+h, plotGrid)
		}
		for slots := 0; slots <= 32; slots += 8 {
			y := top + h - h*slots/32
			line(img, margin, y, width-margin, y, plotGrid)
		}
		line(img, margin, top, margin, top+h, plotAxis)
		line(img, margin, top+h, width-margin, top+h, plotAxis)
		var prev *plotSample
		for j := range s.samples {
			p := &s.samples[j]
			if prev != nil {
				line(img, x(prev.at), top+h-h*prev.size/32, x(p.at), top+h-h*p.size/32, plotSize)
				line(img, x(prev.at), top+h-int(int64(h)*prev.backlog/maxBacklog), x(p.at), top+h-int(int64(h)*p.backlog/maxBacklog), plotBacklog)
			}
			prev = p
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing the plot: %w", err)
	}
	defer f.Close()
	return png.Encode(f, img)
}

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.Set(x, y, c)
		}
	}
}

// line draws with Bresenham's algorithm, two pixels thick.
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.Color) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	err := dx + dy
	for {
		img.Set(x0, y0, c)
		img.Set(x0, y0+1, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		e2 := 2 * err
		if e2 >= dy {
			err += dy
			x0 += sx
		}
		if e2 <= dx {
			err += dx
			y0 += sy
		}
	}
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}
