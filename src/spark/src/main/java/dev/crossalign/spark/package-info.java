/**
 * Running batch rows as a Spark job (Spark is provided by the cluster, not shipped). Uses engine, align and backend
 * like the CLI does.
 */
package dev.crossalign.spark;
