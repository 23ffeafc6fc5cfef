"""Wardroom's Qt-free core: configuration, storage, field I/O, video, alarms, services and the CLI.

Our loggers ("wardroom.*") write only where ``app.bootstrap.setup_logging`` sends them; without it
(a one-shot CLI command) Python's last-resort handler would echo warnings over the command's output.
"""

import logging

logging.getLogger("wardroom").addHandler(logging.NullHandler())
