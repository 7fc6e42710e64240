"""Database maintenance: integrity checks, retention and cleanup."""
