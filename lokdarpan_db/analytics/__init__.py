"""Ward analytics: the dashboard of one ward, the full rebuild of the rollups, live ward updates
(LISTEN/NOTIFY) and the project's scheduled jobs. The numbers live in the database (db/deploy/
analytics/); these modules call it and return reports."""
