"""The C99 backend."""
