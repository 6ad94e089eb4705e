"""features/synchronisation: R4, R5, R6, R7, R10; clients removed from the platform."""

from pytest_bdd import scenarios

scenarios("synchronisation")
