package assign

import "math"

// grid is a uniform square-cell index over the probe's extent (plus a margin). Positions
// outside it fall into the nearest edge cell, so every position has a cell.
// TODO: shanks are ignored: on multi-shank probes whose shanks are closer than the search
// radius in probe coordinates, units of neighbouring shanks compete for spikes.
type grid struct {
	x0Um, y0Um float64
	cellUm     float64
	nx, ny     int
}

func newGrid(minX, maxX, minY, maxY, cellUm float64) grid {
	g := grid{x0Um: minX - cellUm, y0Um: minY - cellUm, cellUm: cellUm}
	g.nx = int(math.Ceil((maxX-minX)/cellUm)) + 3
	g.ny = int(math.Ceil((maxY-minY)/cellUm)) + 3
	return g
}

// cellXY returns the column and row of a position, clamped to the grid.
func (g *grid) cellXY(xUm, yUm float32) (int, int) {
	cx := int(math.Floor((float64(xUm) - g.x0Um) / g.cellUm))
	cy := int(math.Floor((float64(yUm) - g.y0Um) / g.cellUm))
	return min(max(cx, 0), g.nx-1), min(max(cy, 0), g.ny-1)
}

// cells returns the number of cells.
func (g *grid) cells() int { return g.nx * g.ny }

// unitIndex lists live units by grid cell, compressed-row style: the units of cell c are
// idx[start[c]:start[c+1]]. Rebuilt by the pass whenever units change or move; reuses its
// slices.
type unitIndex struct {
	g     grid
	start []int32
	idx   []int32
}

// rebuild indexes units by their current positions.
func (ix *unitIndex) rebuild(units []*unit) {
	nc := ix.g.cells()
	ix.start = append(ix.start[:0], make([]int32, nc+1)...)
	cell := make([]int32, len(units))
	for i, u := range units {
		cx, cy := ix.g.cellXY(u.m.xUm, u.m.yUm)
		c := int32(cy*ix.g.nx + cx)
		cell[i] = c
		ix.start[c+1]++
	}
	for c := 0; c < nc; c++ {
		ix.start[c+1] += ix.start[c]
	}
	ix.idx = append(ix.idx[:0], make([]int32, len(units))...)
	fill := append([]int32(nil), ix.start[:nc]...)
	for i, c := range cell {
		ix.idx[fill[c]] = int32(i)
		fill[c]++
	}
}
