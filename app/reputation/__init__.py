"""Reputation: kudos, accepted solutions, the points ledger, ranks and badges."""
