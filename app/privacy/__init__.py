"""Privacy rights: a member's data export and the deletion of their account."""
