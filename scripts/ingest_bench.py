"""`kith bench --scenario ingest`, under the script's old name (the benchmark moved to app/bench/).

python scripts/ingest_bench.py [--quick] [--out report.json] [--workers N]
"""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.argv = ["kith", "bench", "--scenario", "ingest", *sys.argv[1:]]
    main()
