"""Splink 5, the same-run peer of Kith's identity resolution.

Its settings are the ones Splink's own documentation gives for person data, fixed here and never
tuned against Kith's results: names compared with Jaro-Winkler levels (``NameComparison``), the
date of birth with its date comparison, the postcode with its postcode comparison, the address
line and the town with Levenshtein levels, email and phone exactly; candidate pairs blocked on each
of given name, family name, date of birth and postcode; trained unsupervised — λ from a
deterministic rule, u by random sampling, m by expectation maximisation on two blocking rules —
and clustered at match probability 0.9. It sees exactly the records and fields Kith sees, cleaned
as Splink's examples clean them (lower case, one space). A bench and test dependency only (the
``bench`` extra); never imported by the running service.
"""

from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from app.bench.synthetic import SyntheticRecord

THRESHOLD = 0.9
RANDOM_SEED = 7  # u is estimated from a fixed random sample
COLUMNS = ("unique_id", "source_dataset", "first_name", "surname", "dob", "postcode", "address_line", "town",
           "email", "phone")  # fmt: skip


def key(record: SyntheticRecord) -> str:
    """A record's key, as the truth pairs name it (synthetic.truth_pairs)."""
    return f"{record.source}:{record.external_ref}"


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = re.sub(r"\s+", " ", value).strip().lower()
    return value or None


def _row(record: SyntheticRecord) -> dict[str, str | None]:
    address = record.address or {}
    line = address.get("line2") or address.get("line1")
    postcode = address.get("postcode")
    phone = re.sub(r"\D", "", record.phone) if record.phone else None
    return {
        "unique_id": key(record),
        "source_dataset": f"org{record.source}",
        "first_name": _clean(record.given_name),
        "surname": _clean(record.family_name),
        "dob": record.date_of_birth,
        "postcode": postcode.upper().replace(" ", "")[:-3] + " " + postcode.upper().replace(" ", "")[-3:]
        if postcode
        else None,
        "address_line": _clean(line),
        "town": _clean(address.get("town")),
        "email": _clean(record.email),
        "phone": phone,
    }


def clusters(records: Iterable[SyntheticRecord], *, across: bool) -> dict[str, str]:
    """Each record's Splink cluster (record key → cluster id). ``across``: the records are two
    organisations' (link and dedupe), else one's (dedupe only)."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    rows = [_row(r) for r in records]
    with tempfile.TemporaryDirectory(prefix="kith-splink-") as tmp:
        db_api = DuckDBAPI()
        con = db_api.duckdb_con
        tables = []
        sources = sorted({r["source_dataset"] for r in rows}) if across else ["records"]
        for source in sources:
            path = Path(tmp) / f"{source}.csv"
            with path.open("w", newline="") as fh:
                writer = csv.DictWriter(fh, COLUMNS)
                writer.writeheader()
                writer.writerows(r for r in rows if not across or r["source_dataset"] == source)
            relation = con.read_csv(str(path), all_varchar=True, header=True)
            tables.append(db_api.register(relation, dataset_display_name=source))
        settings = SettingsCreator(
            link_type="link_and_dedupe" if across else "dedupe_only",
            blocking_rules_to_generate_predictions=[
                block_on("first_name"),
                block_on("surname"),
                block_on("dob"),
                block_on("postcode"),
            ],
            comparisons=[
                cl.NameComparison("first_name"),
                cl.NameComparison("surname"),
                cl.DateOfBirthComparison("dob", input_is_string=True),
                cl.PostcodeComparison("postcode"),
                cl.LevenshteinAtThresholds("address_line", [1, 3]),
                cl.LevenshteinAtThresholds("town", [1, 2]),
                cl.ExactMatch("email"),
                cl.ExactMatch("phone"),
            ],
        )
        linker = Linker(tables if across else tables[0], settings)
        linker.training.estimate_probability_two_random_records_match(
            [block_on("first_name", "surname", "dob")], recall=0.7
        )
        linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=RANDOM_SEED)
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "surname"))
        linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
        predictions = linker.inference.predict(threshold_match_probability=0.5)
        clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, THRESHOLD)
        found = clustered.as_duckdbpyrelation().select("unique_id, cluster_id").fetchall()
    return {str(unique_id): str(cluster) for unique_id, cluster in found}
