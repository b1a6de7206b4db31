/**
 * batch: many validations from a manifest, with workers, a JSONL results sink, resume and a summary.
 */
package dev.crossalign.engine.batch;
