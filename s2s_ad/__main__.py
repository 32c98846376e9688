"""`python -m s2s_ad ...`: the command line (s2s_ad/cli.py), as the `s2s-ad` script runs it."""
import sys

from s2s_ad.cli import main

sys.exit(main())
