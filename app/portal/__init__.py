"""The residents' consent portal: server-rendered pages over the rights, consent, people
and rewards services. It adds no rules of its own."""
