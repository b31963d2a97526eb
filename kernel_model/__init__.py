"""The kernel model: everything Linux/parisc does for a user process, in Python."""
