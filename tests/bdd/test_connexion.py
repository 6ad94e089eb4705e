"""features/connexion: R1, R2, R3, R5, R10; the owner's Newsletters page."""

from pytest_bdd import scenarios

scenarios("connexion")
