"""`kith areas import`: an ONS postcode lookup loads; bad rows are reported by line, good ones kept."""

from __future__ import annotations

import json

from tests.test_cli import kith

LOOKUP = """pcds,pcd7,doterm,osward,lsoa11cd,msoa11cd,lsoa11nm
ZW1 1AB,ZW1  1AB,,E05123401,E01123401,E02123401,Somewhere 001A
zw11ad,ZW1  1AD,,E05123401,E01123401,E02123401,Somewhere 001A
not a postcode,,,E05123401,E01123401,E02123401,
ZW1 1AE,ZW1  1AE,,E05123402,E01123402,
ZW1 1AF,ZW1  1AF,,E05123402,E01123402,E02123401,Somewhere 002A
"""


class TestImport:
    async def test_2011_columns_bad_rows_by_line_json(self, database_url, data_dir, tmp_path, owner_conn):
        path = tmp_path / "nspl.csv"
        path.write_text(LOOKUP)
        done = kith("areas", "import", str(path), "--json", database_url=database_url, data_dir=data_dir)
        assert done.returncode == 0, done.stderr
        report = json.loads(done.stdout)
        assert report["imported"] == 3
        assert [r["line"] for r in report["rejected"]] == [4, 5]
        assert "msoa11cd" in report["rejected"][1]["error"]
        rows = await owner_conn.fetch(
            "SELECT postcode, ward, lsoa, msoa FROM postcodes WHERE ward LIKE 'E051234%'"
        )
        assert {r["postcode"] for r in rows} == {"ZW1 1AB", "ZW1 1AD", "ZW1 1AF"}
        area = await owner_conn.fetchrow("SELECT level, name, postcodes FROM areas WHERE code = 'E01123401'")
        assert tuple(area) == ("lsoa", "Somewhere 001A", 2)

    async def test_a_file_without_the_columns_is_refused(self, database_url, data_dir, tmp_path):
        path = tmp_path / "other.csv"
        path.write_text("postcode_district,count\nZW1,4\n")
        done = kith("areas", "import", str(path), database_url=database_url, data_dir=data_dir)
        assert done.returncode == 1 and "osward" in done.stderr
