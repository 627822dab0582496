"""Tests of tinynn.distributed: single-process parts here, two-rank parts through mpiexec."""
