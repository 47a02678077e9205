"""The residents' consent portal (SPEC §8): server-rendered pages over the rights, consent, people
and rewards services. It adds no rules of its own."""
