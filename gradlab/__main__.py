"""`python -m gradlab` is the `gradlab` command."""

import sys

from gradlab.cli.main import main

sys.exit(main())
