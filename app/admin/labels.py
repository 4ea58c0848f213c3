"""Names shown for roles and point rules, marked for the catalogue and translated where they are shown."""

from __future__ import annotations

from app.marks import N_

ROLE_NAMES: dict[str, str] = {
    "member": N_("Member"),
    "moderator": N_("Moderator"),
    "staff": N_("Staff"),
    "admin": N_("Administrator"),
}

# PointRules field -> what it means; a field missing here is shown by its own name, so a new rule still shows.
POINT_RULE_NAMES: dict[str, str] = {
    "answer_posted": N_("Posting an answer"),
    "answer_posted_per_day": N_("Answers a day that earn points"),
    "kudo_on_answer": N_("Kudos received on an answer"),
    "kudo_on_question": N_("Kudos received on a question"),
    "kudo_points_per_day": N_("Most points from kudos in a day"),
    "same_pair_kudos_per_day": N_("Kudos a day from one member to another that earn points"),
    "answer_accepted": N_("An answer accepted as the solution"),
    "solution_marked": N_("Marking a solution on one's own question"),
    "kudos_per_minute": N_("Kudos a member may give"),
}
