package eval

import (
	"errors"
	"fmt"
	"math"
)

// ErrBadMatrix is returned, wrapped with detail, for an assignment matrix with wrong size or
// non-finite values.
var ErrBadMatrix = errors.New("bad assignment matrix")

// MaxWeightAssignment pairs rows with columns of a rows x cols weight matrix (row-major, flat)
// so that each row and each column is used at most once and the total weight of the pairs
// is as large as possible; min(rows, cols) pairs are made. It returns, for each row, its
// column or -1. It runs the shortest-augmenting-path Hungarian method in
// O(min(r,c)^2 * max(r,c)) time and O(r+c) extra memory beyond a transposed copy when
// rows > cols. Equal inputs give equal outputs; among tied optima the choice is not
// specified.
func MaxWeightAssignment(w []float64, rows, cols int) ([]int, error) {
	if rows < 0 || cols < 0 || len(w) != rows*cols {
		return nil, fmt.Errorf("%w: %d values for %d x %d", ErrBadMatrix, len(w), rows, cols)
	}
	for i, v := range w {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("%w: value %v at %d", ErrBadMatrix, v, i)
		}
	}
	if rows <= cols {
		return minCostAssign(negated(w), rows, cols), nil
	}

	// More rows than columns: solve the transpose and invert the pairing.
	t := make([]float64, len(w))
	for r := range rows {
		for c := range cols {
			t[c*rows+r] = -w[r*cols+c]
		}
	}
	colToRow := minCostAssign(t, cols, rows)
	rowToCol := make([]int, rows)
	for r := range rowToCol {
		rowToCol[r] = -1
	}
	for c, r := range colToRow {
		rowToCol[r] = c
	}
	return rowToCol, nil
}

func negated(w []float64) []float64 {
	out := make([]float64, len(w))
	for i, v := range w {
		out[i] = -v
	}
	return out
}

// minCostAssign assigns every row of an n x m cost matrix (n <= m) to a distinct column at
// minimum total cost and returns each row's column. It keeps dual potentials u (rows) and
// v (columns) and, for each new row, grows a shortest-path tree over the reduced costs
// until it reaches a free column, then flips the path.
func minCostAssign(cost []float64, n, m int) []int {
	// Index 0 of the column arrays is a virtual column holding the row being inserted;
	// rows and columns are 1-based inside.
	u := make([]float64, n+1)
	v := make([]float64, m+1)
	owner := make([]int, m+1) // owner[j]: row assigned to column j, 0 for none
	prev := make([]int, m+1)  // prev[j]: previous column on the shortest path to j
	dist := make([]float64, m+1)
	done := make([]bool, m+1)

	for row := 1; row <= n; row++ {
		owner[0] = row
		for j := range dist {
			dist[j] = math.Inf(1)
			done[j] = false
		}
		free := augmentingPath(cost, m, u, v, owner, prev, dist, done)
		for free != 0 { // flip the path back to the virtual column
			p := prev[free]
			owner[free] = owner[p]
			free = p
		}
	}

	assign := make([]int, n)
	for j := 1; j <= m; j++ {
		if owner[j] != 0 {
			assign[owner[j]-1] = j - 1
		}
	}
	return assign
}

// augmentingPath runs the Dijkstra-like search from the virtual column and returns the free
// column it reaches, updating the potentials so that reduced costs stay non-negative.
func augmentingPath(cost []float64, m int, u, v []float64, owner, prev []int,
	dist []float64, done []bool) int {
	col := 0
	for {
		done[col] = true
		r := owner[col]
		delta, next := math.Inf(1), 0
		for j := 1; j <= m; j++ {
			if done[j] {
				continue
			}
			reduced := cost[(r-1)*m+j-1] - u[r] - v[j]
			if reduced < dist[j] {
				dist[j], prev[j] = reduced, col
			}
			if dist[j] < delta {
				delta, next = dist[j], j
			}
		}
		for j := 0; j <= m; j++ {
			if done[j] {
				u[owner[j]] += delta
				v[j] -= delta
			} else {
				dist[j] -= delta
			}
		}
		col = next
		if owner[col] == 0 {
			return col
		}
	}
}
