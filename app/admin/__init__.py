"""Admin pages: boards, members and roles, and the reputation rules, run from the browser."""
