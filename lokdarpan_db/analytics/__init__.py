"""Ward analytics: the dashboard of one ward, the full rebuild of the rollups, live ward updates
(LISTEN/NOTIFY). The scheduled jobs are maintenance/schedule.py. The numbers live in the database (db/deploy/
analytics/); these modules call it and return reports."""
