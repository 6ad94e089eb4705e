"""features/synchronisation: R4, R5, R6, R7, R10."""

from pytest_bdd import scenarios

scenarios("synchronisation")
