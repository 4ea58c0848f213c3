"""Escalation: private support cases that staff work with the customer, on a clock."""
