"""The ``mskg`` command line: thin click commands, each calling one library function."""
