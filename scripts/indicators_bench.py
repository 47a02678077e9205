"""`kith bench --scenario indicators`, under the script's old name (the benchmark moved to app/bench/).

python scripts/indicators_bench.py [--quick] [--out report.json] [--workers N]
"""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.argv = ["kith", "bench", "--scenario", "indicators", *sys.argv[1:]]
    main()
