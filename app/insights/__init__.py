"""The analysts' pages: the community indicators for people, not only for programs."""
