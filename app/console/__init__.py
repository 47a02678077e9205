"""The staff console (SPEC §12): server-rendered pages under ``/console`` for the people who work in
the organisations, over the same services as the API, as a staff member of one organisation with
a role (``Principal.staff``). It adds no rules of its own."""
