"""Community DNA: the ten resilience indicators by area and period, safe to publish."""
