"""Pure rules: no I/O, no framework. Values and the time go in, decisions come out."""
