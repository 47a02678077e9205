"""`kith bench --scenario identity`, under the script's old name (the benchmark moved to app/bench/).

python scripts/identity_bench.py [--quick] [--out report.json] [--workers N]
"""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.argv = ["kith", "bench", "--scenario", "identity", *sys.argv[1:]]
    main()
