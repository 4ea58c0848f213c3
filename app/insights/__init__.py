"""Community insights: the staff dashboard of answer times, solutions, escalations and deflection."""
