/**
 * The benchmarks module: JMH benchmarks of model load ({@code LoadBench}), inference per backend ({@code
 * InferenceBench}, backends opened through their providers as the use cases open them) and the comparison metrics
 * ({@code MetricsBench}), plus the plain timing harness {@code CompareThroughput}; {@code Models} names their models.
 * Compiled by every build, run only by hand (benchmarks/README.md). May use every package of core and engine; the source
 * rules (package-info, SizeRulesTest, BackendNamesTest) cover it like the main modules.
 */
package dev.crossalign.benchmarks;
