"""Benchmarks against the bundled MailChimp simulator: `bash benchmarks/run.sh [--quick]`."""
