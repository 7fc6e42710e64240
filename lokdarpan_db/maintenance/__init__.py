"""Maintenance: partitions made ahead, integrity checks, retention and cleanup (issue 14),
and the project's scheduled jobs across domains (schedule: pg_cron or crontab lines)."""
