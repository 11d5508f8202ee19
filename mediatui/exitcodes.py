"""The exit codes every verb returns (README "Exit codes", `mediatui --help`).

Kept in a module that imports nothing: the CLI puts them in its help at start-up.
"""

EXIT_OK = 0
EXIT_FAILURE = 1  # a device or runtime failure (an ioctl failed, no data arrived, ...)
EXIT_USAGE = 2  # a bad option value or combination (argparse's own errors use 2 too)
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), what shells report

EXIT_CODES_HELP = (
    "exit status: 0 success; 1 device or runtime failure (including a stream that "
    "received no data); 2 usage error; 130 interrupted (Ctrl-C)."
)
