"""Accounts: registration, sign-in, sessions and who the caller is."""
