"""`seawall watch`: keep the DB fresh, judge again what is already in production, and tell its owners."""
