"""Mail to residents: sent at once (sign-in codes) or queued in the change's transaction and sent by
the worker; in development, kept on the /dev/outbox page."""
