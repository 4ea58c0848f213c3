"""The forum: boards, questions, answers, tags and revisions."""
