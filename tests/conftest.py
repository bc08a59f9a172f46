"""Test-session settings.

* Hypothesis profiles: ``ci`` (fast, the default) and ``thorough`` (HYPOTHESIS_PROFILE=thorough).
* BLAS runs single-threaded during tests: the matrices here are small, and on a shared 2-core
  machine a multi-threaded BLAS oversubscribes the cores (measured: one classical-lifted test went
  from 0.6 s to 8 s).  Results do not depend on this setting beyond rounding.
"""
import os

from hypothesis import HealthCheck, settings
from threadpoolctl import threadpool_limits

settings.register_profile(
    "ci", max_examples=40, deadline=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "thorough", max_examples=1000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

_blas_limit = threadpool_limits(limits=1, user_api="blas")
