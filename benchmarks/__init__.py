"""Benchmarks: scripts that measure and print tables; never run as tests."""
