"""features/retour: R7, R8, R9."""

from pytest_bdd import scenarios

scenarios("retour")
