"""Encrypted logical backups (pg_dump → AES-256-GCM chunks → a directory or S3), GFS retention,
verified restores with a health check, drills, and point-in-time recovery through pgBackRest.

Modules: crypto (the stream format and keys), manifest, store/ (local, s3), dump (create),
catalog (list backups), retention (GFS), restore (verify, restore, health check, drill), pitr.
See docs/backup-restore.md."""
