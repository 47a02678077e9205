"""Identity's errors, shared by resolution, merges and reviews."""

from __future__ import annotations

from app.core.errors import Conflict, NotFound


class PersonNotFound(NotFound):
    code = "person_not_found"


class MergeRefused(Conflict):
    code = "merge_refused"


class ReviewNotFound(NotFound):
    code = "review_not_found"
