"""Webhooks: the community tells the company's help desk when a case opens or moves, a customer writes, a question
waits too long for an answer, or one is solved."""
