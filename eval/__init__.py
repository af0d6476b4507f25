"""Evaluation: question sets, the runner, metrics, reports and benchmarks."""
