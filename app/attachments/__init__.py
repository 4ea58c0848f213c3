"""Files on posts and case messages: screenshots and logs, checked, re-encoded, served as their post is."""
