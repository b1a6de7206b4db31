/**
 * The numerics lab (issue 13): the float64 truth of each op, computed by the port's own code in double on the
 * reference's inputs, and every backend's error measured against it, so a report can say which backend is off, not
 * only that two disagree. May use what engine may use.
 */
package dev.crossalign.engine.truth;
