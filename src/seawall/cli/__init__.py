"""Thin command-line layer: arguments → one library call → ExitCode."""
