/**
 * The reports built from alignment results: console, JSON, self-contained HTML and JUnit XML. May use align (and
 * tensor's value types); nothing native.
 */
package dev.crossalign.report;
