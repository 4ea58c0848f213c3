"""Authorisation: who may do what (policy) and who may reach which route (access)."""
