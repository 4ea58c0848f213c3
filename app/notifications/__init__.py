"""Notifications: telling members what happened to them."""
