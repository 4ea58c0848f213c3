"""Running the site: online backups (and their `flask backup` command)."""
