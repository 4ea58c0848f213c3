"""Search: a Whoosh index (or PostgreSQL full-text search) kept in step with the database through an outbox."""
