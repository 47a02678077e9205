"""``kith bench``: Kith's performance targets measured against floors from the same run.

``runner`` runs the chosen scenarios on a fresh database; ``harness`` starts the service, the floor
servers and the load generator (``load``) in processes of their own; ``scenarios`` holds one
module per scenario; ``report`` prints the table and builds the JSON report.
"""
