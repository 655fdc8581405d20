"""Developer scripts; a package so the harness tests can import what they check."""
