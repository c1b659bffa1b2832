// Package neuron simulates single action potentials of multicompartment neurons and the
// extracellular potential they produce.
//
// A Cell is a tree of cylindrical segments (soma, axon initial segment, axon, dendrites)
// with Hodgkin-Huxley-type sodium and delayed-rectifier potassium conductances and a leak.
// Cell.Simulate integrates the cable equation with backward Euler, eliminating the tree
// matrix in O(n) with Hines' ordering (every parent precedes its children), drives the soma
// with a brief current pulse and returns the transmembrane current of every segment in a
// window around the somatic spike peak (Sources). Sources.Potential projects those currents
// onto electrode contacts with the line-source approximation in a homogeneous medium.
//
// Units throughout: um, ms, mV, nA, nF, uS; conductance densities in mS/cm2, specific
// capacitance in uF/cm2, axial resistivity in ohm*cm, extracellular potential in uV.
//
// Nothing in this package logs, and nothing keeps goroutines. Cells and Sources are
// immutable after construction and may be shared between goroutines for reading.
package neuron
