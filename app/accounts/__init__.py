"""Accounts: members, their roles, sign-in and profiles."""
