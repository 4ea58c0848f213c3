"""Moderation: flags and the queue, thread actions, suspensions, the audit log and listening rules."""
